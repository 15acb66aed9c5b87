"""Instant estimates per CPU-second against a bare request/reply on the same bus, same process, same run (issue 16:
estimation's share of the deadline peak). Not a timed test: it checks the amounts and reports the figures.

The Caf has a local value and a territory its activity is assigned to, so each estimate needs all three lookups
(the national barème's version, the Caf's local values, the activity's territory). The baseline is a raw NATS
subscriber in the same process answering a reply of the estimate's size: the transport and JSON both sides pay,
without the service's work. Client and service share the process, so both figures include the client's share.
"""

from __future__ import annotations

import json
import time
import uuid

from afas_estimation.adapters.tables import ReestimationJob
from afas_estimation.application import declarations
from afas_shared.testing.credentials import ask_as
from afas_shared.testing.eaje import BONUS_TERRITOIRE_FIGURES, figures_updated
from afas_shared.testing.fixtures import eventually, running

CALLS = 300
WARM_UP = 20
NORD = {"kind": "caf", "sub": str(uuid.uuid4()), "caf_code": "059", "caf_roles": ["parametrage"]}
DECISION = {
    "titre": "Délibération du conseil d'administration sur le bonus territoire",
    "emetteur": "Caf du Nord",
    "date": "2024-12-12",
    "reference": "CA du 12/12/2024, délibération n° 2024-43",
}
# as they travel (the API's names)
LOCAL = {
    "famille": "eaje_psu",
    "parametre": "bonus_territoire_montant_place_nouvelle",
    "caf": "059",
    "applicable_depuis": "2025-01-01",
    "valeur": "3000",
    "provenance": DECISION,
}
TERRITORY = {
    "caf": "059",
    "code": "LILLE",
    "nom": "Métropole lilloise",
    "applicable_depuis": "2025-01-01",
    "valeur": "2700",
    "provenance": DECISION,
}


async def _changed(estimation, verb: str, **payload) -> None:
    """A Caf's change, and its re-estimation finished (so the benchmark's calls meet no background work)."""
    job_id = uuid.UUID((await ask_as(estimation, "estimation", verb, NORD, **payload))["reestimation"])

    async def done():
        async with estimation.db.sessions() as session:
            return (await session.get(ReestimationJob, job_id)).finished_at

    await eventually(done)


async def _cpu_per_call(calls: int, call) -> tuple[float, float]:
    """(CPU seconds, wall seconds) per call for ``calls`` sequential calls."""
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(calls):
        await call()
    return (time.process_time() - cpu) / calls, (time.perf_counter() - wall) / calls


async def test_estimates_per_cpu_second_against_a_bare_request_reply(make_settings, report_measurement):
    activity = uuid.uuid4()
    async with running(make_settings("estimation")) as estimation:
        async with estimation.unit_of_work() as uow:
            envelope = figures_updated(BONUS_TERRITOIRE_FIGURES, "059", family="eaje_psu", activity_id=activity)
            await declarations.on_figures_updated(uow, envelope)
        await _changed(estimation, "set_parameter", **LOCAL)
        await _changed(estimation, "set_territory", **TERRITORY)
        await _changed(estimation, "assign_territory", activity_id=str(activity), territoire="LILLE")
        request = {
            "famille": "eaje_psu",
            "nature": "multi_accueil",
            "exercice": 2026,
            "valeurs": BONUS_TERRITOIRE_FIGURES,
            "caf": "059",
            "activite_id": str(activity),
        }
        replies: list[dict] = []

        async def one_estimate() -> None:
            replies.append((await estimation.request("estimation", "estimate", request, timeout=10))["result"])

        nc = estimation.bus.nc
        subject = f"{uuid.uuid4().hex}.bench.echo"
        for _ in range(WARM_UP):
            await one_estimate()
        body = json.dumps({"result": replies[-1]}).encode()

        async def echo(message) -> None:
            json.loads(message.data)
            await message.respond(body)

        subscription = await nc.subscribe(subject, cb=echo)
        payload = json.dumps(request).encode()

        async def one_bare() -> None:
            json.loads((await nc.request(subject, payload, timeout=10)).data)

        for _ in range(WARM_UP):
            await one_bare()
        # interleaved halves: a burst of load from elsewhere on the box weighs on both sides alike
        halves = [await _cpu_per_call(CALLS // 2, call) for call in (one_bare, one_estimate, one_estimate, one_bare)]
        await subscription.unsubscribe()
    bare_cpu = (halves[0][0] + halves[3][0]) / 2
    estimate_cpu = (halves[1][0] + halves[2][0]) / 2
    estimate_wall = (halves[1][1] + halves[2][1]) / 2
    # the hand computation of test_territories: PSU + smoothed CEJ + 4 new places at the territory's 2 700 €
    assert {r["montant"] for r in replies} == {"66657.00"}
    assert len(replies) == WARM_UP + CALLS
    backend = "PostgreSQL" if estimation.db.backend == "postgresql" else "SQLite"
    report_measurement(
        f"instant estimate (local value + territory): {1 / estimate_cpu:,.0f} estimates per CPU-second "
        f"({estimate_cpu * 1000:.2f} ms CPU, {estimate_wall * 1000:.2f} ms wall each, client included) vs "
        f"{1 / bare_cpu:,.0f} bare request/replies per CPU-second ({bare_cpu * 1000:.2f} ms): an estimate costs "
        f"{estimate_cpu / bare_cpu:.1f} bare round trips; {CALLS} calls each, {backend}"
    )
