"""A Caf's local parameter (the bonus territoire's amount per new place): set by that Caf's paramétrage agents
within the national range, audited, kept apart from the national barèmes, used for that Caf's estimates only."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from afas_estimation.adapters.tables import CafLocalParameterChange, ParameterOverride, ReestimationJob
from afas_estimation.application import declarations
from afas_shared.messaging.rpc import RemoteError
from afas_shared.testing.credentials import ask_as
from afas_shared.testing.eaje import BONUS_TERRITOIRE_FIGURES, figures_updated
from afas_shared.testing.fixtures import eventually, running
from afas_shared.testing.outbox import queued as outbox
from services.estimation.tests.wire import on_the_wire

CNAF_AGENT = {"kind": "caf", "sub": str(uuid.uuid4()), "caf_code": "000", "caf_roles": ["parametrage_national"]}

NORD = {"kind": "caf", "sub": str(uuid.uuid4()), "caf_code": "059", "caf_roles": ["parametrage"]}
NORD_INSTRUCTOR = {"kind": "caf", "sub": str(uuid.uuid4()), "caf_code": "059", "caf_roles": ["instruction"]}
SOMME = {"kind": "caf", "sub": str(uuid.uuid4()), "caf_code": "080", "caf_roles": ["parametrage"]}
TERRITOIRE = BONUS_TERRITOIRE_FIGURES
LOCAL = {
    "family": "eaje_psu",
    "parameter": "bonus_territoire_montant_place_nouvelle",
    "caf": "059",
    "applies_from": "2025-01-01",
    "value": "3 000",
    "provenance": {
        "titre": "Délibération du conseil d'administration sur le bonus territoire",
        "emetteur": "Caf du Nord",
        "date": "2024-12-12",
        "reference": "CA du 12/12/2024, délibération n° 2024-42",
    },
    "reason": "Territoire de richesse moyenne",
}


async def ask(runtime, verb: str, actor: dict | None, **payload):
    return await ask_as(runtime, "estimation", verb, actor, **on_the_wire(verb, payload))


async def estimate(runtime, caf_code: str) -> dict:
    payload = {"family": "eaje_psu", "nature": "multi_accueil", "exercice": 2026, "caf_code": caf_code}
    try:
        wire = on_the_wire("estimate", {**payload, "figures": TERRITOIRE})
        return await runtime.request("estimation", "estimate", wire, timeout=10)
    except RemoteError as exc:
        return {"error": {"code": exc.error, "message": str(exc.detail), "field": exc.field}}


@pytest.mark.parametrize(
    ("actor", "change", "error", "field", "words"),
    [
        (NORD, {"value": "2599.99"}, "invalid", "valeur", "hors de la fourchette nationale"),
        (NORD, {"value": "3600,01"}, "invalid", "valeur", "de 2\u00a0600,00\u00a0€ à 3\u00a0600,00\u00a0€"),
        (NORD, {"provenance": None}, "invalid", "provenance", "provenance"),
        (NORD, {"caf": None}, "invalid", "caf", "fixé par chaque Caf"),
        (SOMME, {}, "forbidden", None, "une Caf ne modifie jamais les paramètres d'une autre Caf"),
        (NORD_INSTRUCTOR, {}, "forbidden", None, "agents de paramétrage de cette Caf"),
        (CNAF_AGENT, {}, "forbidden", None, "paramètre local"),
    ],
)
async def test_a_local_value_outside_the_range_or_from_another_caf_is_refused(
    make_settings, actor, change, error, field, words
):
    async with running(make_settings("estimation")) as estimation:
        with pytest.raises(RemoteError) as refused:
            await ask(estimation, "set_parameter", actor, **{**LOCAL, **change})
        async with estimation.db.sessions() as session:
            audited = (await session.execute(sa.select(sa.func.count()).select_from(CafLocalParameterChange))).scalar()
    assert refused.value.error == error and refused.value.field == field
    assert words in str(refused.value.detail), refused.value.detail
    assert audited == 0  # nothing changed


async def test_the_cafs_amount_per_new_place_is_used_for_its_estimates_only_and_audited(make_settings):
    async with running(make_settings("estimation")) as estimation:
        nord_declaration = figures_updated(TERRITOIRE, "059")
        somme_declaration = figures_updated(TERRITOIRE, "080")
        for envelope in (nord_declaration, somme_declaration):
            async with estimation.unit_of_work() as uow:
                await declarations.on_figures_updated(uow, envelope)
        before = await estimate(estimation, "059")
        changed = await ask(estimation, "set_parameter", NORD, **LOCAL)
        again = await ask(estimation, "set_parameter", NORD, **LOCAL)  # same value and provenance: no change

        async def finished():
            async with estimation.db.sessions() as session:
                job = await session.get(ReestimationJob, uuid.UUID(changed["reestimation"]))
                return job if job.finished_at else None

        job = await eventually(finished)
        nord = (await estimate(estimation, "059"))["result"]
        somme = await estimate(estimation, "080")
        revised = await outbox(estimation, "estimation.estimate_revised.v1")
        async with estimation.db.sessions() as session:
            [audit] = (await session.execute(sa.select(CafLocalParameterChange))).scalars().all()
            national = (await session.execute(sa.select(sa.func.count()).select_from(ParameterOverride))).scalar()

    # before the Caf sets its amount: no estimate (never a bonus of 0), in plain French
    assert before["error"]["code"] == "invalid" and "n'a pas encore fixé" in before["error"]["message"]
    assert before["error"]["field"] == "bonus_territoire_places_nouvelles"  # shown with the form's label
    assert changed["modifie"] is True and again["modifie"] is False
    assert changed["parametre_local"]["valeur"] == "3000" and changed["parametre_local"]["caf"] == "059"
    # hand computation: the PSU of these figures is 40 852,00 € (as in test_entitlements_and_payments);
    # bonus territoire:
    # 10 existing places × 1 500,50 € = 15 005,00 € + 4 new places × 3 000 € (Caf du Nord's amount) = 12 000,00 €
    # → 40 852,00 + 27 005,00 = 67 857,00 €
    shown = {s["libelle"]: s["valeur"] for s in nord["etapes"]}
    assert shown["Bonus territoire, places existantes"] == "15005"
    assert shown["Bonus territoire, places nouvelles"] == "12000"
    assert shown["Bonus territoire"] == "27005"
    assert nord["montant"] == "67857.00"
    [local] = [p for p in nord["parametres"] if p["nom"] == "bonus_territoire_montant_place_nouvelle"]
    assert local["applicable_depuis"] == "2025-01-01" and "Caf du Nord" in local["provenance"]
    # the Caf de la Somme set nothing: its partners' estimates do not take Caf du Nord's value
    assert somme["error"]["code"] == "invalid" and "n'a pas encore fixé" in somme["error"]["message"]
    # a local change re-estimates that Caf's open declarations only
    assert job.caf_code == "059" and (job.processed, job.revised) == (1, 1)
    assert [(r["data"]["declaration_id"], r["data"]["new_amount"]) for r in revised] == [
        (str(nord_declaration.data.declaration_id), "67857.00")
    ]
    # audited apart from the national barèmes, which stay untouched
    assert (audit.caf_code, audit.old_value, audit.new_value) == ("059", None, "3000")
    assert audit.changed_by == uuid.UUID(NORD["sub"]) and audit.reason == "Territoire de richesse moyenne"
    assert national == 0


async def test_a_local_value_overlapping_another_of_the_same_year_is_refused(make_settings):
    async with running(make_settings("estimation")) as estimation:
        first = await ask(estimation, "set_parameter", NORD, **LOCAL)
        with pytest.raises(RemoteError) as refused:
            await ask(estimation, "set_parameter", NORD, **{**LOCAL, "applies_from": "2025-07-01", "value": "3100"})
        other_year = await ask(estimation, "set_parameter", NORD, **{**LOCAL, "applies_from": "2026-01-01"})
        # another Caf's values are its own: the Somme's 2025-07-01 does not overlap the Nord's 2025-01-01
        somme = await ask(estimation, "set_parameter", SOMME, **{**LOCAL, "caf": "080", "applies_from": "2025-07-01"})
        async with estimation.db.sessions() as session:
            audited = (await session.execute(sa.select(sa.func.count()).select_from(CafLocalParameterChange))).scalar()
    assert first["modifie"] is True and other_year["modifie"] is True and somme["modifie"] is True
    assert refused.value.error == "invalid" and refused.value.field == "applicable_depuis"
    assert "chevauche la valeur applicable depuis le 01/01/2025" in refused.value.detail
    assert audited == 3  # the refusal changed nothing
