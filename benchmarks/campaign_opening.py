"""Opening a campaign for N activities as a background job on PostgreSQL, with writers running alongside.

On a scratch database (created on ``--database-url``'s server, dropped at the end), seeds N activities of one Caf
and family (``activity_copy``, as habilitation's events leave them) and a few declarations of another campaign,
then, in the same run:

* job: a campaign created for today, opened by the service's own job (``campaign_opening.start_due`` then its
  runner), in batches of ``--batch-size`` (the service's ``campaign_opening_batch_size`` by default): one
  declaration, its forms and its ``declaration.declaration_expected.v1`` outbox row per activity;
* baseline: the same N declarations and forms for a second campaign by one bulk ``INSERT … SELECT`` per table in
  one transaction, without any event.

During each, a separate process (its own event loop and connections: what it measures is the database, not this
process's CPU) runs two writers in a loop and records each write's latency: a form save (an UPDATE of another
declaration's form) and a registration (what ``activity_copy`` does: lock the campaign's row, write, commit) — the
writer a batch can make wait. Printed: time to finish, activities/s, and each writer's longest and p99 latency.

    python benchmarks/campaign_opening.py --database-url postgresql://postgres@127.0.0.1:5432/postgres \
        [--activities 70000] [--batch-size 500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import secrets
import statistics
import time
import uuid
from datetime import date, timedelta
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from afas_declaration import __version__
from afas_declaration.adapters.tables import ActivityCopy, Campaign, Declaration, DeclarationForm
from afas_declaration.application import campaign_opening
from afas_declaration.config import Settings
from afas_shared.db import migrations
from afas_shared.messaging.tables import OutboxRecord
from afas_shared.runtime import ServiceRuntime
from afas_shared.settings import CommonSettings

CAF, FAMILY, OTHER_FAMILY = "080", "alsh", "laep"
EXERCICE = 2026
SAVED_FORMS = 50  # the form-save writer cycles over this many forms of another campaign


def _admin(server_url: str, sql: str) -> None:
    conninfo = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql)


def _campaign(family: str, opening: date) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "caf_code": CAF,
        "family": family,
        "exercice": EXERCICE,
        "declaration_type": "previsionnelle",
        "form_version": "2026.1",
        "opening_date": opening,
        "deadline": opening + timedelta(days=60),
        "opened": False,
    }


async def seed(runtime: ServiceRuntime, activities: int) -> dict[str, Any]:
    """N activities of the family; another campaign with a few declarations the form-save writer updates."""
    partner = uuid.uuid4()
    rows = [
        {
            "activity_id": uuid.uuid4(),
            "partner_id": partner,
            "caf_code": CAF,
            "family": FAMILY,
            "nature": "periscolaire",
            "name": f"ALSH n° {n}",
            "site_mode": "mono_lieu",
            "sites": "[]",
            "opening_date": date(2020, 1, 1),
            "version": 1,
            "closing_version": 1,
        }
        for n in range(activities)
    ]
    other = _campaign(OTHER_FAMILY, date(2026, 1, 1)) | {"opened": True}
    declarations = [
        {
            "id": uuid.uuid4(),
            "campaign_id": other["id"],
            "activity_id": uuid.uuid4(),
            "partner_id": partner,
            "caf_code": CAF,
            "exercice": EXERCICE,
            "declaration_type": "previsionnelle",
        }
        for _ in range(SAVED_FORMS)
    ]
    forms = [{"id": uuid.uuid4(), "declaration_id": d["id"], "kind": "financier"} for d in declarations]
    async with runtime.db.transaction() as session:
        for start in range(0, len(rows), 5000):
            await session.execute(sa.insert(ActivityCopy), rows[start : start + 5000])
        await session.execute(sa.insert(Campaign), [other])
        await session.execute(sa.insert(Declaration), declarations)
        await session.execute(sa.insert(DeclarationForm), forms)
    return {"forms": [str(f["id"]) for f in forms]}


async def open_as_job(runtime: ServiceRuntime) -> tuple[float, uuid.UUID]:
    campaign = _campaign(FAMILY, date.today())
    async with runtime.db.transaction() as session:
        await session.execute(sa.insert(Campaign), [campaign])
    started = time.perf_counter()
    await campaign_opening.start_due(runtime)
    await campaign_opening.opener(runtime).run_pending()
    return time.perf_counter() - started, campaign["id"]


async def open_by_one_insert(runtime: ServiceRuntime) -> tuple[float, uuid.UUID]:
    """The baseline: one INSERT … SELECT per table, one transaction, no event, no batch."""
    campaign = _campaign(FAMILY, date.today()) | {"declaration_type": "reelle", "opened": True}
    async with runtime.db.transaction() as session:
        await session.execute(sa.insert(Campaign), [campaign])
    started = time.perf_counter()
    async with runtime.db.transaction() as session:
        await session.execute(
            sa.text(
                "INSERT INTO declaration (id, campaign_id, activity_id, partner_id, caf_code, exercice, "
                "declaration_type, state, version, controls, justifications) "
                "SELECT gen_random_uuid(), :campaign, activity_id, partner_id, caf_code, :exercice, 'reelle', "
                "'a_saisir', 1, '[]', '{}' FROM activity_copy WHERE caf_code = :caf AND family = :family"
            ),
            {"campaign": campaign["id"], "exercice": EXERCICE, "caf": CAF, "family": FAMILY},
        )
        for kind in ("activite", "financier"):
            await session.execute(
                sa.text(
                    'INSERT INTO declaration_form (id, declaration_id, kind, requested, state, "values", version) '
                    "SELECT gen_random_uuid(), id, :kind, true, 'a_saisir', '{}', 0 FROM declaration "
                    "WHERE campaign_id = :campaign"
                ),
                {"kind": kind, "campaign": campaign["id"]},
            )
    return time.perf_counter() - started, campaign["id"]


def _writers(conninfo: str, forms: list[str], family: str, ready: Any, stop: Any, results: Any) -> None:
    """In its own process: form saves and registrations in a loop until ``stop``; each write's latency (s)."""

    def loop() -> dict[str, list[float]]:
        latencies: dict[str, list[float]] = {"form_save": [], "registration": []}
        with psycopg.connect(conninfo) as conn:
            ready.set()
            n = 0
            while not stop.is_set():
                n += 1
                started = time.perf_counter()
                with conn.transaction():
                    conn.execute(
                        'UPDATE declaration_form SET "values" = %s, version = version + 1 WHERE id = %s',
                        (json.dumps({"n": n}), forms[n % len(forms)]),
                    )
                latencies["form_save"].append(time.perf_counter() - started)
                started = time.perf_counter()
                with conn.transaction():  # as a registration: the campaigns of its Caf and family, locked
                    conn.execute(
                        "SELECT id FROM campaign WHERE caf_code = %s AND family = %s ORDER BY id FOR UPDATE",
                        (CAF, family),
                    )
                    conn.execute("UPDATE activity_copy SET version = version WHERE activity_id = gen_random_uuid()")
                latencies["registration"].append(time.perf_counter() - started)
                time.sleep(0.005)
        return latencies

    results.put(loop())


async def measured(runtime: ServiceRuntime, conninfo: str, forms: list[str], work) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    ready, stop, results = context.Event(), context.Event(), context.Queue()
    writers = context.Process(target=_writers, args=(conninfo, forms, FAMILY, ready, stop, results))
    writers.start()
    if not await asyncio.to_thread(ready.wait, 60):
        raise RuntimeError("the writers' process did not start")
    await asyncio.sleep(0.5)  # the writers are writing before the work starts
    seconds, campaign_id = await work(runtime)
    stop.set()
    latencies = await asyncio.to_thread(results.get, True, 60)
    await asyncio.to_thread(writers.join, 30)
    async with runtime.db.sessions() as session:
        declarations = await session.scalar(
            sa.select(sa.func.count()).select_from(Declaration).where(Declaration.campaign_id == campaign_id)
        )
        events = await session.scalar(sa.select(sa.func.count()).select_from(OutboxRecord))
    out: dict[str, Any] = {"seconds": seconds, "declarations": declarations, "outbox": events}
    for kind, values in latencies.items():
        ordered = sorted(values)
        out[kind] = {
            "writes": len(values),
            "max_ms": ordered[-1] * 1000,
            "p99_ms": ordered[int(len(ordered) * 0.99) - 1] * 1000,
            "p50_ms": statistics.median(ordered) * 1000,
        }
    return out


async def measure(database_url: str, activities: int, batch_size: int | None) -> dict[str, Any]:
    await asyncio.to_thread(migrations.upgrade, "afas_declaration", database_url)
    settings = Settings(common=CommonSettings(nats_url="nats://127.0.0.1:1"), database_url=database_url)
    if batch_size is not None:
        settings.campaign_opening_batch_size = batch_size
    runtime = ServiceRuntime("declaration", __version__, "afas_declaration", settings, configure_logs=False)
    conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        seeded = await seed(runtime, activities)
        job = await measured(runtime, conninfo, seeded["forms"], open_as_job)
        outbox_after_job = job["outbox"]
        baseline = await measured(runtime, conninfo, seeded["forms"], open_by_one_insert)
    finally:
        await runtime.db.dispose()
        runtime.tracer_provider.shutdown()
    if job["declarations"] != activities or outbox_after_job < activities:
        raise AssertionError(f"job: {job['declarations']} declarations, {outbox_after_job} events, for {activities}")
    if baseline["declarations"] != activities:
        raise AssertionError(f"baseline: {baseline['declarations']} declarations for {activities}")
    return {
        "activities": activities,
        "batch_size": settings.campaign_opening_batch_size,
        "job": job,
        "baseline": baseline,
    }


def report(result: dict[str, Any]) -> str:
    n, job, base = result["activities"], result["job"], result["baseline"]

    def writers(r: dict[str, Any]) -> str:
        return "; ".join(
            f"{kind.replace('_', ' ')}: {w['writes']} writes, p50 {w['p50_ms']:.1f} ms, p99 {w['p99_ms']:.1f} ms, "
            f"longest {w['max_ms']:.1f} ms"
            for kind, w in ((k, r[k]) for k in ("form_save", "registration"))
        )

    return "\n".join(
        [
            f"campaign opening, {n:,} activities on PostgreSQL, batches of {result['batch_size']}:",
            f"  job: {job['seconds']:.1f} s ({n / job['seconds']:,.0f} activities/s), {job['declarations']:,} "
            f"declarations, {job['outbox']:,} events in the outbox (target < 60 s)",
            f"    writers alongside — {writers(job)} (target: longest < 100 ms)",
            f"  baseline, one bulk INSERT … SELECT per table, no event: {base['seconds']:.1f} s "
            f"({n / base['seconds']:,.0f} activities/s); the job takes x{job['seconds'] / base['seconds']:.1f}",
            f"    writers alongside — {writers(base)}",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--activities", type=int, default=70_000)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    name = f"afas_bench_jobs_{secrets.token_hex(4)}"
    _admin(args.database_url, f'CREATE DATABASE "{name}"')
    try:
        url = make_url(args.database_url).set(drivername="postgresql+psycopg", database=name)
        result = asyncio.run(measure(url.render_as_string(hide_password=False), args.activities, args.batch_size))
    finally:
        _admin(args.database_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(report(result))
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
