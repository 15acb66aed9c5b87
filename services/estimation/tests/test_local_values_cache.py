"""A Caf's local values kept in memory by each estimation replica (issue 16: every estimate read them again): each
estimate checks them with one statement — the national barème's version and the Caf's local version, bumped in the
transaction of each change — so the very next estimate after a change uses it, on the replica that made it and on
another one on the same database; and the barème kept is the one read afresh, provenance included."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from afas_estimation.adapters.tables import CafLocalVersion, DeclarationEstimate
from afas_estimation.application import declarations, estimates
from afas_estimation.application.baremes import resolve
from afas_estimation.application.local_parameters import localised
from afas_estimation.domain.parameters.territories import NEW_PLACE_AMOUNT
from afas_shared.contracts.rpc.estimation import EstimateRequestV1
from afas_shared.testing.credentials import TestIssuer
from afas_shared.testing.eaje import figures_updated as figures_updated_event
from afas_shared.testing.fixtures import running
from services.estimation.tests.test_territories import (
    DEFAULT,
    FIGURES,
    NORD,
    TERRITORY,
    ask,
    figures_updated,
    finished,
    receive,
)


def _request(activity: uuid.UUID) -> EstimateRequestV1:
    return EstimateRequestV1.model_validate(
        {
            "famille": "eaje_psu",
            "nature": "multi_accueil",
            "exercice": 2026,
            "valeurs": FIGURES,
            "caf": "059",
            "activite_id": str(activity),
        }
    )


async def _estimates(replicas, activity: uuid.UUID) -> list[dict]:
    """The estimate each replica answers with the barèmes it keeps in memory."""
    return [await estimates.estimate(r.state["baremes"], _request(activity)) for r in replicas]


async def _afresh(runtime, activity: uuid.UUID) -> dict:
    """The same estimate with everything read from the database (no memory)."""
    async with runtime.db.sessions() as session:
        effective = await localised(session, await resolve(session, "eaje_psu"), "059", activity)
    found = estimates.outcome(effective, "multi_accueil", 2026, FIGURES)
    assert found.result is not None
    return {**estimates.explained(effective, found.result), "type_declaration": None, "caf_code": "059"}


def _one_issuer(*replicas) -> None:
    """Both replicas answer the same queue group: each must trust the test's tokens, whichever answers."""
    issuer = TestIssuer(replicas[0].clock.now())
    for replica in replicas:
        replica.state["test_issuer"] = issuer.trusted_by(replica)


async def _changed(runtime, verb: str, **payload) -> None:
    """A change asked over the bus: either replica may make it (one queue group), the other must see it."""
    await finished(runtime, (await ask(runtime, verb, NORD, **payload))["reestimation"])


async def test_the_next_estimate_on_either_replica_uses_a_local_change_and_one_statement_checks_it(make_settings):
    activity = uuid.uuid4()
    first = make_settings("estimation")
    async with running(first) as a, running(make_settings("estimation", database_url=first.database_url)) as b:
        _one_issuer(a, b)
        await receive(a, figures_updated("059", activity))
        await _changed(a, "set_parameter", **DEFAULT)  # 3 000 € per new place
        default = await _estimates((a, b), activity)  # both replicas now keep the Caf's values
        statements: list[str] = []
        sa.event.listen(a.db.engine.sync_engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        again = await _estimates((a,), activity)
        checked = [sql for sql in statements if sql != "BEGIN"]  # SQLite's own transaction start

        await _changed(b, "set_parameter", **{**DEFAULT, "value": "3100"})  # the same date's value replaced
        replaced = await _estimates((a, b), activity)
        await _changed(a, "set_territory", **TERRITORY)  # 2 700 € in the Métropole lilloise
        await _changed(b, "assign_territory", activity_id=str(activity), territory="LILLE")
        assigned = await _estimates((a, b), activity)
        afresh = await _afresh(a, activity)
        async with a.db.sessions() as session:
            version = await session.get(CafLocalVersion, "059")

    # 40 852,00 € + 15 005,00 € (existing places) + 4 new places × the amount in force
    assert [e["montant"] for e in default + again] == ["67857.00"] * 3
    assert [e["montant"] for e in replaced] == ["68257.00"] * 2  # 4 × 3 100 €, on both replicas
    assert [e["montant"] for e in assigned] == ["66657.00"] * 2  # 4 × 2 700 €, the territory's
    assert assigned[0] == assigned[1] == afresh  # same barème, fingerprint and provenance as read afresh
    [local] = [p for p in afresh["parametres"] if p["nom"] == NEW_PLACE_AMOUNT]
    assert "Métropole lilloise" in local["libelle"] and "délibération n° 2024-43" in local["provenance"]
    assert all("Caf du Nord" not in p["provenance"] for p in afresh["parametres"] if p["nom"] != NEW_PLACE_AMOUNT)
    assert len(checked) == 1 and "caf_local_version" in checked[0] and "bareme_version" in checked[0]
    assert version is not None and version.version == 4  # one per change: value, value, territory, assignment


async def test_a_saved_declaration_is_estimated_with_the_local_change_made_by_another_replica(make_settings):
    activity, declaration = uuid.uuid4(), uuid.uuid4()
    first = make_settings("estimation")
    async with running(first) as a, running(make_settings("estimation", database_url=first.database_url)) as b:
        _one_issuer(a, b)
        await _changed(a, "set_parameter", **DEFAULT)
        before = await _stored(a, _saved(declaration, activity, 1))  # the Caf's values now in a's memory
        await _changed(b, "set_parameter", **{**DEFAULT, "value": "3100"})
        after = await _stored(a, _saved(declaration, activity, 2))
    assert (before, after) == ("67857.00", "68257.00")


def _saved(declaration: uuid.UUID, activity: uuid.UUID, version: int):
    return figures_updated_event(FIGURES, "059", activity_id=activity, declaration_id=declaration, version=version)


async def _stored(runtime, envelope) -> str | None:
    async with runtime.unit_of_work() as uow:
        await declarations.on_figures_updated(uow, envelope, runtime.state["baremes"])
    async with runtime.db.sessions() as session:
        stored = await session.get(DeclarationEstimate, envelope.data.declaration_id)
    return stored.amount if stored is not None else None
