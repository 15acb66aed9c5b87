import importlib.util, pytest
from afas_shared.messaging.consumer import IdempotentConsumer
spec = importlib.util.spec_from_file_location("old_consumer", "/tmp/oldcheck/old_consumer.py")
old = importlib.util.module_from_spec(spec); spec.loader.exec_module(old)

@pytest.fixture(autouse=True)
def old_code(monkeypatch):
    monkeypatch.setattr(IdempotentConsumer, "handle", old.IdempotentConsumer.handle)
"""A backlog of one declaration's saves, delivered out of order in one batch: the stored figures and estimate
end at the latest save, the older ones are counted as stale (issue 15: estimation was left one save behind)."""


import json
import random
import uuid

from prometheus_client import REGISTRY

from afas_estimation.adapters.tables import DeclarationEstimate, DeclarationFigures
from afas_estimation.application.baremes import resolve
from afas_estimation.application.estimates import outcome
from afas_shared.contracts.bus_permissions import durable_name
from afas_shared.contracts.events.declaration import DeclarationFiguresUpdatedV1
from afas_shared.testing.fixtures import eventually, running

SAVES = 30
PSU = {
    "places": "20",
    "total_charges": "100000",
    "participations_familiales": "20000",
    "part_regime_general": "100",
    "couches_fournies": "true",
    "repas_fournis": "true",
}
CONSUMER = durable_name("estimation", DeclarationFiguresUpdatedV1)


def saved(declaration_id: uuid.UUID, activity_id: uuid.UUID, save: int) -> DeclarationFiguresUpdatedV1:
    hours = str(9000 + 50 * save)  # each save changes the hours, hence the estimate
    return DeclarationFiguresUpdatedV1(
        declaration_id=declaration_id,
        declaration_version=1,
        activity_id=activity_id,
        partner_id=uuid.uuid4(),
        caf_code="092",
        family="eaje_psu",
        nature="multi_accueil",
        exercice=2026,
        declaration_type="previsionnelle",
        figures={**PSU, "heures_realisees": hours, "heures_facturees": hours},
    )


def stale_count() -> float:
    return REGISTRY.get_sample_value("afas_events_stale_total", {"consumer": CONSUMER}) or 0.0


async def test_saves_delivered_out_of_order_leave_the_latest_figures_and_estimate(make_settings):
    declaration, activity = uuid.uuid4(), uuid.uuid4()
    order = list(range(1, SAVES + 1))
    random.Random(1515).shuffle(order)
    stale_before = stale_count()
    async with running(make_settings("estimation")) as estimation:
        # Through the bus, as the declaration service publishes them: one burst, fetched as one batch.
        async with estimation.unit_of_work() as uow:
            for version in order:
                uow.publish(saved(declaration, activity, version), subject=str(declaration), aggregate_version=version)
        await eventually(lambda: _all_consumed(estimation), timeout=60)
        async with estimation.db.sessions() as session:
            row = await session.get(DeclarationFigures, declaration)
            estimate = await session.get(DeclarationEstimate, declaration)
            expected = outcome(
                await resolve(session, "eaje_psu"), "multi_accueil", 2026, saved(declaration, activity, SAVES).figures
            )
            older = outcome(
                await resolve(session, "eaje_psu"), "multi_accueil", 2026, saved(declaration, activity, 1).figures
            )
    print("FINAL", row.figures_version, estimate.amount, expected.amount)
    assert row.figures_version == SAVES and json.loads(row.figures)["heures_realisees"] == str(9000 + 50 * SAVES)
    assert expected.amount != older.amount  # the figures matter, so the estimate shows which save it came from
    assert estimate.amount == expected.amount
    assert stale_count() - stale_before > 0  # the saves older than one applied were counted no-ops


async def _all_consumed(runtime) -> bool:
    stream = runtime.bus.names.stream("declaration")
    try:
        info = await runtime.bus.js.consumer_info(stream, CONSUMER)
    except Exception:  # not created yet
        return False
    return info.num_pending == 0 and info.num_ack_pending == 0 and info.delivered.stream_seq >= SAVES
