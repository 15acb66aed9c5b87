"""The CSV import of N activities and a bulk grant over them, as habilitation's background jobs, on PostgreSQL.

On a scratch database (created on ``--database-url``'s server, dropped at the end), with habilitation's migrations
and one partner known, in the same run:

* import: a CSV of N rows sent as the gateway sends it (parts of ``CATALOGUE_IMPORT_PART_BYTES``, each one
  ``import_part`` request), then run by the service's own job runner in batches of ``--batch-size`` (the service's
  ``import_batch_size`` by default): each row checked, its activity, site and ``habilitation.activity_registered.v1``
  outbox row stored, the job's progress moved, one transaction per batch. Printed: the time to answer the upload
  (what the 202 waits for), the time to finish, rows/s;
* bulk grant: one user granted a role on all N activities (``grant_or_start``, « toutes les activités »), run by its
  job in batches of ``--grant-batch-size``: one ``role_grant`` line and its event per activity;
* baseline: the same N activities (and their sites), then N grant lines, by bulk ``INSERT`` in one transaction
  each, with no check, no event, no progress.

Afterwards it checks that every row was imported and granted exactly once, with one event each.

    python benchmarks/bulk_jobs.py --database-url postgresql://postgres@127.0.0.1:5432/postgres [--rows 70000]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import os
import secrets
import sys
import time
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from afas_habilitation import __version__
from afas_habilitation.adapters.tables import Activity, DeclarerMembership, KnownPartner, RoleGrant, Site
from afas_habilitation.application import grant_jobs, import_jobs, jobs
from afas_habilitation.config import Settings
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.contracts.limits import CATALOGUE_IMPORT_PART_BYTES
from afas_shared.contracts.rpc.habilitation import GrantRequestV1
from afas_shared.contracts.rpc.habilitation_jobs import ImportPartRequestV1
from afas_shared.db import migrations
from afas_shared.messaging.tables import OutboxRecord
from afas_shared.read_models.user_directory import KnownUser
from afas_shared.runtime import ServiceRuntime
from afas_shared.settings import CommonSettings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repository root

from benchmarks.scratch_database import scratch_database  # noqa: E402

CAF, SIRET = "080", "21800021900012"
HEADER = (
    "partenaire_siret;caf;famille;nature;nom;mode_lieux;lieux;date_ouverture;date_fermeture;places;ideq;dossier_afc"
)
AGENT = ForwardedCaller(kind="caf", user_id=uuid.uuid4(), caf_code=CAF, caf_roles=frozenset({"habilitations"}))


def csv_file(rows: int) -> bytes:
    lines = [HEADER] + [
        f"{SIRET};{CAF};alsh;periscolaire;ALSH « Été » n° {n};mono_lieu;École n° {n};2024-09-01;;40;B{n:08d};"
        f"{800000 + n}"
        for n in range(rows)
    ]
    return ("\n".join(lines) + "\n").encode()


async def seed(runtime: ServiceRuntime) -> tuple[uuid.UUID, uuid.UUID]:
    """The partner the file names, and a user of it in AFAS-DECLARER (the bulk grant's grantee)."""
    partner, user = uuid.uuid4(), uuid.uuid4()
    async with runtime.unit_of_work() as uow:
        uow.session.add(KnownPartner(partner_id=partner, name="Commune d'Amiens", siret=SIRET, caf_code=CAF, version=1))
        uow.session.add(
            KnownUser(
                user_id=user,
                identifier="200000009",
                last_name="Martin",
                first_name="Claire",
                email="claire.martin@amiens.example",
                partner_id=partner,
                version=1,
            )
        )
        uow.session.add(DeclarerMembership(user_id=user, partner_id=partner, start_date=date(2020, 1, 1)))
    return partner, user


async def _count(runtime: ServiceRuntime, query: sa.Select) -> int:
    async with runtime.db.sessions() as session:
        return int(await session.scalar(query) or 0)


async def _events(runtime: ServiceRuntime, subject: str) -> int:
    return await _count(
        runtime, sa.select(sa.func.count()).select_from(OutboxRecord).where(OutboxRecord.subject.like(f"%{subject}%"))
    )


async def import_as_job(runtime: ServiceRuntime, body: bytes) -> dict[str, Any]:
    upload = uuid.uuid4()
    parts = [body[i : i + CATALOGUE_IMPORT_PART_BYTES] for i in range(0, len(body), CATALOGUE_IMPORT_PART_BYTES)]
    started = time.perf_counter()
    for position, part in enumerate(parts):
        request = ImportPartRequestV1(
            upload_id=upload,
            position=position,
            last=position == len(parts) - 1,
            csv_base64=base64.b64encode(part).decode(),
        )
        answer = await import_jobs.receive_part(runtime, AGENT, request)
    answered = time.perf_counter() - started
    batches = await import_jobs.importer(runtime).run_pending()
    seconds = time.perf_counter() - started
    report = await jobs.view(runtime, AGENT, upload)
    return {
        "parts": len(parts),
        "answered_s": answered,
        "answer": answer["etat"],
        "seconds": seconds,
        "batches": batches,
        "created": report["creees"],
        "refused": len(report["refusees"]),
    }


async def grant_as_job(runtime: ServiceRuntime, user: uuid.UUID) -> dict[str, Any]:
    request = GrantRequestV1.model_validate({"utilisateur_id": str(user), "role": "fdf", "toutes_activites": True})
    operator = ForwardedCaller(kind="operator", user_id=uuid.uuid4())
    started = time.perf_counter()
    answer = await grant_jobs.grant_or_start(runtime, operator, request)
    answered = time.perf_counter() - started
    batches = await grant_jobs.granter(runtime).run_pending()
    seconds = time.perf_counter() - started
    report = await jobs.view(runtime, operator, uuid.UUID(answer["traitement"]["job_id"]))
    return {
        "answered_s": answered,
        "seconds": seconds,
        "batches": batches,
        "created": report["creees"],
        "refused": len(report["refusees"]),
    }


async def list_pages(runtime: ServiceRuntime, pages: int = 5) -> dict[str, float]:
    """« Activités » as the Caf's agent sees them: the first pages one after the other (keyset), each one's time."""
    from afas_habilitation.application import activity_page
    from afas_shared.contracts.rpc.habilitation_jobs import ActivityPageRequestV1

    cursor, took, total = None, [], 0
    for _ in range(pages):
        started = time.perf_counter()
        page = await activity_page.page(runtime, AGENT, ActivityPageRequestV1.model_validate({"curseur": cursor}))
        took.append(time.perf_counter() - started)
        cursor, total = page["curseur_suivant"], page["total"]
    return {"total": total, "first_ms": took[0] * 1000, "longest_ms": max(took) * 1000}


async def baseline(runtime: ServiceRuntime, partner: uuid.UUID, user: uuid.UUID, rows: int) -> dict[str, float]:
    """The same rows by bulk INSERT, one transaction each, no check and no event (other IDEQUs: they are unique)."""
    activities = [
        {
            "id": uuid.uuid4(),
            "partner_id": partner,
            "caf_code": CAF,
            "family": "alsh",
            "nature": "periscolaire",
            "name": f"ALSH « Été » n° {n} (base)",
            "site_mode": "mono_lieu",
            "opening_date": date(2024, 9, 1),
            "capacity": 40,
            "equipment_id": f"C{n:08d}",
            "afc_file": str(900000 + n),
            "version": 1,
        }
        for n in range(rows)
    ]
    sites = [
        {"id": uuid.uuid4(), "activity_id": a["id"], "name": f"École {n}", "position": 0}
        for n, a in enumerate(activities)
    ]
    started = time.perf_counter()
    async with runtime.db.transaction() as session:
        for i in range(0, rows, 5000):
            await session.execute(sa.insert(Activity), activities[i : i + 5000])
        for i in range(0, rows, 5000):
            await session.execute(sa.insert(Site), sites[i : i + 5000])
    imported = time.perf_counter() - started
    lines = [
        {
            "id": uuid.uuid4(),
            "group_id": uuid.uuid4(),
            "user_id": user,
            "partner_id": partner,
            "role": "fda",
            "activity_id": a["id"],
            "start_date": date(2026, 1, 1),
            "validation": "not_required",
        }
        for a in activities
    ]
    started = time.perf_counter()
    async with runtime.db.transaction() as session:
        for i in range(0, rows, 5000):
            await session.execute(sa.insert(RoleGrant), lines[i : i + 5000])
    return {"import_s": imported, "grant_s": time.perf_counter() - started}


async def measure(database_url: str, rows: int, batch_size: int | None = None, grant_batch: int | None = None) -> dict:
    await asyncio.to_thread(migrations.upgrade, "afas_habilitation", database_url)
    settings = Settings(common=CommonSettings(nats_url="nats://127.0.0.1:1"), database_url=database_url)
    settings.job_wait_seconds = 0  # the upload's answer is measured alone; the runner is run below
    settings.grant_job_threshold = min(settings.grant_job_threshold, rows - 1)  # a job even on a smoke test's few rows
    if batch_size is not None:
        settings.import_batch_size = batch_size
    if grant_batch is not None:
        settings.grant_batch_size = grant_batch
    runtime = ServiceRuntime("habilitation", __version__, "afas_habilitation", settings, configure_logs=False)
    try:
        partner, user = await seed(runtime)
        body = csv_file(rows)
        imported = await import_as_job(runtime, body)
        activities = await _count(runtime, sa.select(sa.func.count()).select_from(Activity))
        registered = await _events(runtime, "activity_registered")
        pages = await list_pages(runtime)
        granted = await grant_as_job(runtime, user)
        lines = await _count(runtime, sa.select(sa.func.count()).select_from(RoleGrant))
        grant_events = await _events(runtime, "role_granted")
        base = await baseline(runtime, partner, user, rows)
    finally:
        await runtime.db.dispose()
        runtime.tracer_provider.shutdown()
    if (imported["created"], activities, registered, imported["refused"]) != (rows, rows, rows, 0):
        raise AssertionError(f"import: {imported}, {activities} activities, {registered} events, for {rows} rows")
    if (granted["created"], lines, grant_events, granted["refused"]) != (rows, rows, rows, 0):
        raise AssertionError(f"grant: {granted}, {lines} lines, {grant_events} events, for {rows} activities")
    return {
        "rows": rows,
        "bytes": len(body),
        "batch_size": settings.import_batch_size,
        "grant_batch_size": settings.grant_batch_size,
        "import": imported,
        "grant": granted,
        "baseline": base,
        "pages": pages,
        "load_average": os.getloadavg(),
    }


def report(result: dict[str, Any], backend: str = "PostgreSQL") -> str:
    n, imp, grant, base = result["rows"], result["import"], result["grant"], result["baseline"]
    load = ", ".join(f"{x:.2f}" for x in result["load_average"])
    return "\n".join(
        [
            f"bulk jobs, {n:,} rows on {backend} (load average {load}):",
            f"  CSV import ({result['bytes'] / 1048576:.1f} MiB in {imp['parts']} parts, batches of "
            f"{result['batch_size']}): answered in {imp['answered_s']:.2f} s ({imp['answer']}), done in "
            f"{imp['seconds']:.1f} s = {n / imp['seconds']:,.0f} rows/s, {imp['created']:,} activities and events",
            f"  « Activités » by pages of 50 over the {result['pages']['total']:,} of the Caf: first page "
            f"{result['pages']['first_ms']:.0f} ms, longest of the first five {result['pages']['longest_ms']:.0f} ms",
            f"  bulk grant on all of them (batches of {result['grant_batch_size']}): answered in "
            f"{grant['answered_s']:.2f} s, done in {grant['seconds']:.1f} s = {n / grant['seconds']:,.0f} lines/s",
            f"  baseline, bulk INSERT without checks or events: activities + sites {base['import_s']:.1f} s "
            f"({n / base['import_s']:,.0f} rows/s, the job x{imp['seconds'] / base['import_s']:.1f}); grant lines "
            f"{base['grant_s']:.1f} s ({n / base['grant_s']:,.0f} rows/s, "
            f"the job x{grant['seconds'] / base['grant_s']:.1f})",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=70_000)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--grant-batch-size", type=int)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    with scratch_database(args.database_url, f"afas_bench_imports_{secrets.token_hex(4)}") as url:
        result = asyncio.run(measure(url, args.rows, args.batch_size, args.grant_batch_size))
    print(report(result))
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
