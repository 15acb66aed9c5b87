"""Opening a campaign for N activities as a background job on PostgreSQL, with writers running alongside.

On a scratch database (created on ``--database-url``'s server, dropped at the end), seeds N activities of one Caf
and family (``activity_copy``, as habilitation's events leave them) and a few declarations of another campaign,
then, in the same run:

* job: a campaign created for today, opened by the service's own job (``campaign_opening.start_due`` then its
  runner), in batches of ``--batch-size`` (the service's ``campaign_opening_batch_size`` by default): one
  declaration, its forms and its ``declaration.declaration_expected.v1`` outbox row per activity;
* baseline: the same N declarations and forms for a second campaign by one bulk ``INSERT … SELECT`` per table in
  one transaction, without any event.

Before them, the writers alone for a few seconds (their own latency on the box as loaded then); during each, a
separate process (its own event loop and connections, so this process's CPU is not in its figures) runs two writers
in a loop and records each write's latency, its own work included: a form save (an UPDATE of another
declaration's form) and a registration — a new activity of the family through declaration's own handler
(``activity_copy.on_activity_state``: its copy, the campaigns it joins read ``FOR KEY SHARE``, its declaration
inserted if absent in each campaign that opened or is opening), the writer an opening could make wait. Printed: time
to finish, activities/s, each writer's longest and p99 latency, and — from a third process polling
``pg_stat_activity`` every 10 ms — how often and how long any statement waited on a lock (the blocking itself, which
the writers' latencies mix with their own work and the box's load). Afterwards every activity of the family, the
registered ones included, must have exactly one declaration in the job's campaign.

    python benchmarks/campaign_opening.py --database-url postgresql://postgres@127.0.0.1:5432/postgres \
        [--activities 70000] [--batch-size 500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import secrets
import statistics
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from afas_declaration import __version__
from afas_declaration.adapters.tables import ActivityCopy, Campaign, Declaration, DeclarationForm
from afas_declaration.application import activity_copy, campaign_opening
from afas_declaration.config import Settings
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.habilitation import ActivityRegisteredV1, SiteV1
from afas_shared.db import migrations
from afas_shared.db.engine import Database
from afas_shared.messaging.tables import OutboxRecord
from afas_shared.messaging.unit_of_work import unit_of_work
from afas_shared.runtime import ServiceRuntime
from afas_shared.settings import CommonSettings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repository root

from benchmarks.scratch_database import scratch_database  # noqa: E402

CAF, FAMILY, OTHER_FAMILY = "080", "alsh", "laep"
EXERCICE = 2026
SAVED_FORMS = 50  # the form-save writer cycles over this many forms of another campaign
QUIET_SECONDS = 5.0  # the writers alone, before the opening


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


async def writers_alone(runtime: ServiceRuntime) -> tuple[float, uuid.UUID | None]:
    """No opening: the writers' own latency on the box as loaded right now (their reference in this run)."""
    await asyncio.sleep(QUIET_SECONDS)
    return QUIET_SECONDS, None


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
                "INSERT INTO declaration (id, campaign_id, activity_id, partner_id, activity_name, caf_code, "
                "exercice, declaration_type, state, version, controls, justifications) "
                "SELECT gen_random_uuid(), :campaign, activity_id, partner_id, name, caf_code, :exercice, 'reelle', "
                "'a_saisir', 1, '[]', '{}' FROM activity_copy WHERE caf_code = :caf AND family = :family "
                # the same constraint as the job's: a registration meanwhile may have inserted one already
                "ON CONFLICT (campaign_id, activity_id) DO NOTHING"
            ),
            {"campaign": campaign["id"], "exercice": EXERCICE, "caf": CAF, "family": FAMILY},
        )
        for kind in ("activite", "financier"):
            await session.execute(
                sa.text(
                    'INSERT INTO declaration_form (id, declaration_id, kind, requested, state, "values", version) '
                    "SELECT gen_random_uuid(), d.id, CAST(:kind AS VARCHAR), true, 'a_saisir', '{}', 0 "
                    "FROM declaration d WHERE d.campaign_id = :campaign AND NOT EXISTS (SELECT 1 FROM "
                    "declaration_form f WHERE f.declaration_id = d.id AND f.kind = CAST(:kind AS VARCHAR))"
                ),
                {"kind": kind, "campaign": campaign["id"]},
            )
    return time.perf_counter() - started, campaign["id"]


def _writers(database_url: str, forms: list[str], family: str, ready: Any, stop: Any, results: Any) -> None:
    """In its own process: form saves and registrations in a loop until ``stop``; each write's latency (s)."""
    results.put(asyncio.run(_write_until(database_url, forms, family, ready, stop)))


async def _write_until(database_url: str, forms: list[str], family: str, ready: Any, stop: Any) -> dict[str, list]:
    db = Database(database_url, pool_size=2)
    latencies: dict[str, list[float]] = {"form_save": [], "registration": []}
    partner = uuid.uuid4()
    try:
        n = 0
        ready.set()
        while not stop.is_set():
            n += 1
            started = time.perf_counter()
            async with db.transaction() as session:
                await session.execute(
                    sa.text('UPDATE declaration_form SET "values" = :values, version = version + 1 WHERE id = :id'),
                    {"values": json.dumps({"n": n}), "id": uuid.UUID(forms[n % len(forms)])},
                )
            latencies["form_save"].append(time.perf_counter() - started)
            envelope = _registration(partner, family, n)
            started = time.perf_counter()
            async with unit_of_work(db) as uow:  # what declaration's consumer of activity_registered does
                await activity_copy.on_activity_state(uow, envelope)
            latencies["registration"].append(time.perf_counter() - started)
            await asyncio.sleep(0.005)
    finally:
        await db.dispose()
    return latencies


def _registration(partner: uuid.UUID, family: str, n: int) -> Envelope[ActivityRegisteredV1]:
    activity_id = uuid.uuid4()
    event = ActivityRegisteredV1(
        activity_id=activity_id,
        partner_id=partner,
        caf_code=CAF,
        family=family,
        nature="periscolaire",
        name=f"Registered during the opening n° {n}",
        site_mode="mono_lieu",
        sites=[SiteV1(site_id=uuid.uuid4(), name="Lieu")],
        opening_date=date(2020, 1, 1),
        closing_date=None,
    )
    return Envelope.wrap(event, subject=str(activity_id), aggregate_version=1, correlation_id="bench-jobs")


LOCK_WAITS = (
    "SELECT coalesce(max(extract(epoch FROM clock_timestamp() - query_start)), 0), count(*) FROM pg_stat_activity "
    "WHERE datname = current_database() AND wait_event_type = 'Lock'"
)


def _lock_waits(database_url: str, ready: Any, stop: Any, results: Any) -> None:
    """In its own process (never taking the job's CPU), every 10 ms: the statements of this database waiting on a lock
    (any backend: the writers', the job's), and how long the longest has run — the blocking itself, apart from the
    writers' own work and the box's load that their latencies include."""
    seen = {"samples": 0, "samples_with_a_wait": 0, "longest_s": 0.0}
    conninfo = make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        ready.set()
        while not stop.wait(0.01):
            longest, waiting = conn.execute(LOCK_WAITS).fetchone()
            seen["samples"] += 1
            seen["samples_with_a_wait"] += bool(waiting)
            seen["longest_s"] = max(seen["longest_s"], float(longest))
    results.put(seen)


async def measured(runtime: ServiceRuntime, forms: list[str], work) -> dict[str, Any]:
    context = multiprocessing.get_context("spawn")
    ready, stop, results = context.Event(), context.Event(), context.Queue()
    writers = context.Process(target=_writers, args=(runtime.db.url, forms, FAMILY, ready, stop, results))
    watching, watched, lock_waits = context.Event(), context.Event(), context.Queue()
    watcher = context.Process(target=_lock_waits, args=(runtime.db.url, watching, watched, lock_waits))
    writers.start()
    watcher.start()
    if not await asyncio.to_thread(ready.wait, 60) or not await asyncio.to_thread(watching.wait, 60):
        raise RuntimeError("the writers' or the lock watcher's process did not start")
    await asyncio.sleep(0.5)  # the writers are writing before the work starts
    load = os.getloadavg()[0]
    seconds, campaign_id = await work(runtime)
    watched.set()
    load = max(load, os.getloadavg()[0])
    stop.set()
    locks = await asyncio.to_thread(lock_waits.get, True, 60)
    await asyncio.to_thread(watcher.join, 30)
    latencies = await asyncio.to_thread(results.get, True, 60)
    await asyncio.to_thread(writers.join, 30)
    async with runtime.db.sessions() as session:
        declarations = await session.scalar(
            sa.select(sa.func.count()).select_from(Declaration).where(Declaration.campaign_id == campaign_id)
        )
        activities = await session.scalar(
            sa.select(sa.func.count()).select_from(ActivityCopy).where(ActivityCopy.family == FAMILY)
        )
        events = await session.scalar(sa.select(sa.func.count()).select_from(OutboxRecord))
    out: dict[str, Any] = {
        "seconds": seconds,
        "declarations": declarations if campaign_id is not None else None,
        "activities": activities,
        "outbox": events,
        "load_average_1min": load,  # the higher of its value before and after the work
        "lock_waits": {**locks, "longest_ms": locks["longest_s"] * 1000},
    }
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
    try:
        seeded = await seed(runtime, activities)
        quiet = await measured(runtime, seeded["forms"], writers_alone)
        job = await measured(runtime, seeded["forms"], open_as_job)
        baseline = await measured(runtime, seeded["forms"], open_by_one_insert)
        twice = await _declared_twice(runtime)
    finally:
        await runtime.db.dispose()
        runtime.tracer_provider.shutdown()
    # Each activity of the family (those registered while the job ran included) has its declaration, once
    if job["declarations"] != job["activities"] or job["outbox"] < job["activities"] or twice:
        raise AssertionError(f"job: {job['declarations']} declarations, {job['outbox']} events, {twice} twice")
    # The baseline follows no protocol with the registrations (an activity registered as its campaign row commits
    # may be missed): the seeded activities are what it must cover
    if baseline["declarations"] < activities:
        raise AssertionError(f"baseline: {baseline['declarations']} declarations for {activities}")
    return {
        "activities": activities,
        "batch_size": settings.campaign_opening_batch_size,
        "writers_alone": quiet,
        "job": job,
        "baseline": baseline,
    }


async def _declared_twice(runtime: ServiceRuntime) -> int:
    """Activities with more than one declaration in a campaign (the constraint forbids it: 0, checked anyway)."""
    async with runtime.db.sessions() as session:
        pairs = sa.select(Declaration.campaign_id, Declaration.activity_id).group_by(
            Declaration.campaign_id, Declaration.activity_id
        )
        return (
            await session.scalar(sa.select(sa.func.count()).select_from(pairs.having(sa.func.count() > 1).subquery()))
            or 0
        )


def report(result: dict[str, Any]) -> str:
    n, job, base = result["activities"], result["job"], result["baseline"]

    def writers(r: dict[str, Any]) -> str:
        return "; ".join(
            f"{kind.replace('_', ' ')}: {w['writes']} writes, p50 {w['p50_ms']:.1f} ms, p99 {w['p99_ms']:.1f} ms, "
            f"longest {w['max_ms']:.1f} ms"
            for kind, w in ((k, r[k]) for k in ("form_save", "registration"))
        )

    def load(r: dict[str, Any]) -> str:
        return f"load average {r['load_average_1min']:.1f}"

    def locks(r: dict[str, Any]) -> str:
        waits = r["lock_waits"]
        return (
            f"statements waiting on a lock: in {waits['samples_with_a_wait']} of {waits['samples']} samples "
            f"(every 10 ms), the longest {waits['longest_ms']:.0f} ms"
        )

    quiet = result["writers_alone"]
    return "\n".join(
        [
            f"campaign opening, {n:,} activities on PostgreSQL, batches of {result['batch_size']}:",
            f"  writers alone for {quiet['seconds']:.0f} s, no opening ({load(quiet)}) — {writers(quiet)}",
            f"    {locks(quiet)}",
            f"  job: {job['seconds']:.1f} s ({n / job['seconds']:,.0f} activities/s), {job['declarations']:,} "
            f"declarations ({job['activities'] - n} of them for activities the writers registered), "
            f"{job['outbox']:,} events in the outbox (target < 60 s; {load(job)})",
            f"    writers alongside — {writers(job)} (target: longest < 100 ms)",
            f"    {locks(job)}",
            f"  baseline, one bulk INSERT … SELECT per table, no event: {base['seconds']:.1f} s "
            f"({n / base['seconds']:,.0f} activities/s; {load(base)}); the job takes "
            f"x{job['seconds'] / base['seconds']:.1f}",
            f"    writers alongside — {writers(base)}",
            f"    {locks(base)}",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--activities", type=int, default=70_000)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    with scratch_database(args.database_url, f"afas_bench_jobs_{secrets.token_hex(4)}") as url:
        result = asyncio.run(measure(url, args.activities, args.batch_size))
    print(report(result))
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
