"""Re-estimating every open declaration after a barème change: batched job vs a one-by-one loop, same run.

Seeds ``--declarations`` open declarations (half EAJE-PSU, half ALSH, synthetic but realistic figures) with their
stored estimates, then, on the same database:

* batched: a change of ``taux_ps`` in each family, re-estimated by the service's ``Reestimator`` (500 per
  transaction, one barème resolution per batch, bulk update of the estimates);
* one by one: a second change of the same parameters, re-estimated by a loop doing per declaration one
  transaction, one barème resolution, one read, one update.

Both change every amount, so both queue one ``estimation.estimate_revised.v1`` per declaration in the outbox.
Then, with the service running on that database, the latency of ``--rpc-calls`` estimate requests (p50, p99).

    python benchmarks/reestimation.py [--declarations 70000] [--rpc-calls 500] [--database-url URL] [--nats-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import sqlalchemy as sa

from afas_estimation.adapters.tables import DeclarationEstimate, DeclarationFigures, ReestimationJob
from afas_estimation.application.bareme_changes import change
from afas_estimation.application.baremes import resolve
from afas_estimation.application.estimates import outcome
from afas_estimation.application.reestimation import Reestimator, affected, candidates_query, revise, write
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import SystemClock
from afas_shared.contracts.rpc.estimation import SetParameterRequestV1
from afas_shared.db import migrations
from afas_shared.db.engine import Database
from afas_shared.local_nats import LocalNatsServer
from afas_shared.messaging.tables import OutboxRecord
from afas_shared.messaging.unit_of_work import unit_of_work

# Barèmes are national: the Cnaf's national paramétrage agent changes them
CNAF_AGENT = ForwardedCaller(
    kind="caf", user_id=uuid.uuid4(), caf_code="000", caf_roles=frozenset({"parametrage_national"})
)
FAMILIES = {"eaje_psu": ("multi_accueil", "creche_collective"), "alsh": ("periscolaire", "extrascolaire")}
RATES = {"eaje_psu": ("0.67", "0.68"), "alsh": ("0.31", "0.32")}
APPLIES_FROM = date(2026, 1, 1)


def eaje_figures(rng: random.Random) -> dict[str, str]:
    places = rng.randint(10, 60)
    realised = places * rng.randint(1500, 2200)
    billed = int(realised * rng.uniform(1.0, 1.15))
    return {
        "places": str(places),
        "heures_realisees": str(realised),
        "heures_facturees": str(billed),
        "total_charges": f"{realised * rng.uniform(10, 14):.2f}",
        "participations_familiales": f"{billed * rng.uniform(1.0, 1.8):.2f}",
        "part_regime_general": str(rng.randint(85, 100)),
        "couches_fournies": rng.choice(("true", "false")),
        "repas_fournis": rng.choice(("true", "false")),
    }


def alsh_figures(rng: random.Random) -> dict[str, str]:
    realised = rng.randint(5_000, 80_000)
    figures = {
        "heures_realisees": str(realised),
        "total_charges": f"{realised * rng.uniform(2.5, 6):.2f}",
        "part_regime_general": str(rng.randint(70, 100)),
    }
    if rng.random() < 0.3:
        days = rng.randint(100, 1500)
        figures |= {"mercredi_heures": str(min(days * 9, realised // 3)), "mercredi_journees_repas": str(days)}
    return figures


async def seed(db: Database, count: int, rng: random.Random) -> None:
    now = datetime.now(UTC)
    async with db.sessions() as session:
        effective = {family: await resolve(session, family) for family in FAMILIES}
    figures_rows, estimate_rows = [], []
    for i in range(count):
        family = "eaje_psu" if i % 2 == 0 else "alsh"
        nature = rng.choice(FAMILIES[family])
        figures = eaje_figures(rng) if family == "eaje_psu" else alsh_figures(rng)
        declaration_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        figures_rows.append(
            {
                "declaration_id": declaration_id,
                "declaration_version": 1,
                "figures_version": 3,
                "activity_id": uuid.uuid4(),
                "partner_id": uuid.uuid4(),
                "caf_code": rng.choice(("092", "059", "080")),
                "family": family,
                "nature": nature,
                "exercice": 2026,
                "declaration_type": "previsionnelle",
                "figures": json.dumps(figures),
                "open": True,
                "closed_as": None,
                "updated_at": now,
            }
        )
        found = outcome(effective[family], nature, 2026, figures)
        if found.amount is None:
            raise AssertionError(f"synthetic figures refused: {found.error}")
        estimate_rows.append(
            {
                "declaration_id": declaration_id,
                "amount": found.amount,
                "provisional": found.provisional,
                "error": None,
                "bareme_version": 0,
                "bareme_fingerprint": effective[family].fingerprint,
                "revision": 1,
                "computed_at": now,
            }
        )
    for start in range(0, count, 5000):
        async with db.transaction() as session:
            await session.execute(sa.insert(DeclarationFigures), figures_rows[start : start + 5000])
            await session.execute(sa.insert(DeclarationEstimate), estimate_rows[start : start + 5000])


async def change_rates(db: Database, step: int) -> list[uuid.UUID]:
    jobs = []
    for family, values in RATES.items():
        async with unit_of_work(db) as uow:
            _, job = await change(
                uow,
                CNAF_AGENT,
                SetParameterRequestV1.model_validate(
                    {
                        "family": family,
                        "parameter": "taux_ps",
                        "applies_from": APPLIES_FROM.isoformat(),
                        "value": values[step],
                        "provenance": {
                            "titre": f"Benchmark : taux de test n° {step + 1}",
                            "emetteur": "Cnaf",
                            "date": "2025-12-15",
                            "reference": f"Benchmark n° {step + 1}",
                        },
                    }
                ),
                datetime.now(UTC),
            )
        jobs.append(job.id)
    return jobs


async def one_by_one(db: Database, jobs: list[uuid.UUID]) -> int:
    """The naive loop: per declaration one transaction, one barème resolution, one read, one update."""
    revised = 0
    for job_id in jobs:
        async with db.sessions() as session:
            job = await session.get(ReestimationJob, job_id)
            conditions = affected(job.family, job.nature, job.applies_from)
            ids = list(
                (
                    await session.execute(
                        sa.select(DeclarationFigures.declaration_id)
                        .where(*conditions)
                        .order_by(DeclarationFigures.declaration_id)
                    )
                ).scalars()
            )
        for declaration_id in ids:
            async with unit_of_work(db) as uow:
                effective = await resolve(uow.session, job.family)
                query = candidates_query([DeclarationFigures.declaration_id == declaration_id])
                rows = list(await uow.session.execute(query))
                revised += await write(uow, *revise(effective, rows, datetime.now(UTC)))
        async with db.transaction() as session:
            await session.execute(
                sa.update(ReestimationJob).where(ReestimationJob.id == job_id).values(finished_at=datetime.now(UTC))
            )
    return revised


async def outbox_count(db: Database) -> int:
    async with db.sessions() as session:
        query = sa.select(sa.func.count()).select_from(OutboxRecord)
        return (await session.execute(query.where(OutboxRecord.subject == "estimation.estimate_revised.v1"))).scalar()


async def rpc_latency(database_url: str, nats_url: str, prefix: str, calls: int, tmp: Path) -> dict[str, float]:
    from afas_estimation.bootstrap import build
    from afas_estimation.config import Settings
    from afas_shared.settings import CommonSettings

    settings = Settings(
        common=CommonSettings(nats_url=nats_url, bus_prefix=prefix, var_dir=tmp), database_url=database_url
    )
    runtime = build(settings, configure_logs=False)
    await runtime.start()
    try:
        await runtime.wait_ready(30)
        rng = random.Random(7)
        requests = [
            {"famille": "eaje_psu", "nature": "multi_accueil", "exercice": 2026, "valeurs": eaje_figures(rng)}
            if i % 2 == 0
            else {"famille": "alsh", "nature": "periscolaire", "exercice": 2026, "valeurs": alsh_figures(rng)}
            for i in range(calls + 20)
        ]
        for payload in requests[:20]:  # warm-up: connections, barème cache
            await runtime.request("estimation", "estimate", payload, timeout=5)
        timings = []
        for payload in requests[20:]:
            started = time.perf_counter()
            reply = await runtime.request("estimation", "estimate", payload, timeout=5)
            timings.append((time.perf_counter() - started) * 1000)
            if "result" not in reply:
                raise AssertionError(f"estimate refused: {reply}")
    finally:
        await runtime.stop()
    cuts = statistics.quantiles(timings, n=100)
    return {"rpc_calls": calls, "rpc_p50_ms": statistics.median(timings), "rpc_p99_ms": cuts[98]}


async def measure(
    database_url: str,
    declarations: int,
    *,
    nats_url: str | None = None,
    prefix: str = "bench",
    rpc_calls: int = 500,
    tmp: Path | None = None,
) -> dict[str, float]:
    await asyncio.to_thread(migrations.upgrade, "afas_estimation", database_url)
    db = Database(database_url)
    try:
        await seed(db, declarations, random.Random(2026))

        jobs = await change_rates(db, 0)
        started = time.perf_counter()
        await Reestimator(db, SystemClock).run_pending()
        batched = time.perf_counter() - started
        batched_revised = await outbox_count(db)

        jobs = await change_rates(db, 1)
        started = time.perf_counter()
        loop_revised = await one_by_one(db, jobs)
        loop = time.perf_counter() - started
        if batched_revised != declarations or loop_revised != declarations:
            raise AssertionError(f"revised {batched_revised} then {loop_revised}, expected {declarations} each")
        async with db.transaction() as session:  # benchmark artefacts: nothing to relay
            await session.execute(sa.delete(OutboxRecord))
    finally:
        await db.dispose()
    result = {
        "declarations": declarations,
        "batched_s": batched,
        "one_by_one_s": loop,
        "ratio": loop / batched,
    }
    if nats_url is not None:
        result |= await rpc_latency(database_url, nats_url, prefix, rpc_calls, tmp or Path(tempfile.gettempdir()))
    return result


def report(result: dict[str, float], backend: str) -> str:
    text = (
        f"re-estimation after a barème change: {result['declarations']:,} open declarations in "
        f"{result['batched_s']:.1f} s batched ({result['declarations'] / result['batched_s']:,.0f}/s) vs "
        f"{result['one_by_one_s']:.1f} s one by one ({result['declarations'] / result['one_by_one_s']:,.0f}/s): "
        f"x{result['ratio']:.1f}; {backend}"
    )
    if "rpc_p99_ms" in result:
        text += (
            f"; estimate request p50 {result['rpc_p50_ms']:.1f} ms, p99 {result['rpc_p99_ms']:.1f} ms "
            f"over {result['rpc_calls']} calls"
        )
    return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--declarations", type=int, default=70_000)
    parser.add_argument("--rpc-calls", type=int, default=500)
    parser.add_argument("--database-url")
    parser.add_argument("--nats-url")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = None if args.nats_url else LocalNatsServer(Path(tmp) / "nats").start()
        try:
            url = args.nats_url or server.url
            db_url = args.database_url or f"sqlite:///{tmp}/reestimation.db"
            result = asyncio.run(
                measure(
                    db_url,
                    args.declarations,
                    nats_url=url,
                    prefix=f"bench{uuid.uuid4().hex[:6]}",
                    rpc_calls=args.rpc_calls,
                    tmp=Path(tmp),
                )
            )
        finally:
            if server:
                server.stop()
    backend = "PostgreSQL" if args.database_url and "postgres" in args.database_url else "SQLite"
    print(report(result, backend))


if __name__ == "__main__":
    main()
