"""A Caf's territories for the PSU bonus territoire: each with its amount per new place (within the national
range), set by that Caf's paramétrage agents, applied to the activities assigned to it; the Caf's single local
value stays the default of activities without a territory; changes re-estimate that Caf's declarations only."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
import sqlalchemy as sa

from afas_estimation.adapters.tables import ActivityTerritory, CafTerritoryChange, ReestimationJob
from afas_estimation.application import declarations
from afas_estimation.domain.estimate import estimate as compute
from afas_estimation.domain.parameters import territories as domain
from afas_estimation.domain.parameters.loader import load_family
from afas_estimation.domain.parameters.local import LocalValue, with_local
from afas_estimation.domain.parameters.model import Provenance
from afas_shared.contracts.envelope import Envelope
from afas_shared.messaging.rpc import RemoteError
from afas_shared.testing.credentials import ask_as
from afas_shared.testing.eaje import BONUS_TERRITOIRE_FIGURES
from afas_shared.testing.eaje import figures_updated as figures_updated_event
from afas_shared.testing.fixtures import eventually, running
from afas_shared.testing.outbox import queued as outbox
from services.estimation.tests.wire import on_the_wire

DECISION = Provenance("Délibération du conseil d'administration", "Caf du Nord", date(2024, 12, 12), "n° 2024-42")
FIGURES = BONUS_TERRITOIRE_FIGURES
NORD = {"kind": "caf", "sub": str(uuid.uuid4()), "caf_code": "059", "caf_roles": ["parametrage"]}
NORD_INSTRUCTOR = {"kind": "caf", "sub": str(uuid.uuid4()), "caf_code": "059", "caf_roles": ["instruction"]}
SOMME = {"kind": "caf", "sub": str(uuid.uuid4()), "caf_code": "080", "caf_roles": ["parametrage"]}
CNAF = {"kind": "caf", "sub": str(uuid.uuid4()), "caf_code": "000", "caf_roles": ["parametrage_national"]}
TERRITORY = {
    "caf": "059",
    "code": "LILLE",
    "name": "Métropole lilloise",
    "applies_from": "2025-01-01",
    "value": "2700",
    "provenance": {
        "titre": "Délibération du conseil d'administration sur le bonus territoire",
        "emetteur": "Caf du Nord",
        "date": "2024-12-12",
        "reference": "CA du 12/12/2024, délibération n° 2024-43",
    },
}
DEFAULT = {
    "family": "eaje_psu",
    "parameter": "bonus_territoire_montant_place_nouvelle",
    "caf": "059",
    "applies_from": "2025-01-01",
    "value": "3000",
    "provenance": TERRITORY["provenance"],
}


# --- domain ---------------------------------------------------------------------------------------------------


def _steps(bareme) -> dict[str, str]:
    result = compute("eaje_psu", "multi_accueil", 2026, FIGURES, bareme=bareme)
    return {s.label: (s.value, s.formula) for s in result.steps}


def test_an_activity_of_a_territory_gets_its_amount_per_new_place_named_in_the_explanation():
    national = load_family("eaje_psu")
    default = with_local(
        national, [LocalValue("059", "eaje_psu", domain.NEW_PLACE_AMOUNT, date(2025, 1, 1), Decimal(3000), DECISION)]
    )
    lille = domain.Territory(
        "059", "LILLE", "Métropole lilloise", (domain.TerritoryAmount(date(2025, 1, 1), Decimal(2700), DECISION),)
    )
    value, formula = _steps(domain.with_territory(default, lille, "Caf du Nord"))["Bonus territoire, places nouvelles"]
    assert value == 4 * 2700
    assert "fixé par la Caf du Nord pour le territoire « Métropole lilloise »" in formula
    # no territory (or a territory without an amount yet): the Caf's default amount
    assert _steps(domain.with_territory(default, None, "Caf du Nord"))["Bonus territoire, places nouvelles"][0] == 12000
    empty = domain.Territory("059", "DOUAI", "Douaisis")
    assert domain.with_territory(default, empty, "Caf du Nord") is default
    # existing places keep the smoothed former CEJ amount declared by the partner
    assert _steps(domain.with_territory(default, lille, "Caf du Nord"))["Bonus territoire, places existantes"][0] == (
        10 * Decimal("1500.50")
    )


@pytest.mark.parametrize(("value", "ok"), [("2600", True), ("3600", True), ("2599.99", False), ("3600.01", False)])
def test_a_territorys_amount_lies_in_the_national_range_bounds_included(value, ok):
    bareme = load_family("eaje_psu")
    if ok:
        domain.check_amount(bareme, Decimal(value), date(2025, 1, 1))
        return
    with pytest.raises(domain.InvalidTerritory) as refused:
        domain.check_amount(bareme, Decimal(value), date(2025, 1, 1))
    assert refused.value.field == "valeur" and "hors de la fourchette nationale" in refused.value.message


# --- application (through estimation's RPC) -------------------------------------------------------------------


def figures_updated(caf_code: str, activity_id: uuid.UUID, family: str = "eaje_psu") -> Envelope:
    return figures_updated_event(FIGURES, caf_code, family=family, activity_id=activity_id)


async def ask(runtime, verb: str, actor: dict | None, **payload):
    return await ask_as(runtime, "estimation", verb, actor, **on_the_wire(verb, payload))


async def receive(runtime, envelope: Envelope) -> None:
    async with runtime.unit_of_work() as uow:
        await declarations.on_figures_updated(uow, envelope)


async def finished(runtime, job_id: str):
    async def done():
        async with runtime.db.sessions() as session:
            job = await session.get(ReestimationJob, uuid.UUID(job_id))
            return job if job.finished_at else None

    return await eventually(done)


async def test_only_the_activitys_own_caf_paramétrage_defines_territories_and_assigns_activities(make_settings):
    nord_activity, somme_activity = uuid.uuid4(), uuid.uuid4()
    async with running(make_settings("estimation")) as estimation:
        await receive(estimation, figures_updated("059", nord_activity))
        await receive(estimation, figures_updated("080", somme_activity))
        refusals = {}
        for name, actor, verb, payload in [
            ("somme_defines_nord", SOMME, "set_territory", TERRITORY),
            ("instructor_defines", NORD_INSTRUCTOR, "set_territory", TERRITORY),
            ("cnaf_defines", CNAF, "set_territory", TERRITORY),
            ("too_low", NORD, "set_territory", {**TERRITORY, "value": "2599.99"}),
            ("no_name", NORD, "set_territory", {**TERRITORY, "name": ""}),
            ("no_provenance", NORD, "set_territory", {**TERRITORY, "provenance": None}),
        ]:
            with pytest.raises(RemoteError) as refused:
                await ask(estimation, verb, actor, **payload)
            refusals[name] = refused.value
        defined = await ask(estimation, "set_territory", NORD, **TERRITORY)
        for name, actor, payload in [
            ("unknown_activity", NORD, {"activity_id": str(uuid.uuid4()), "territory": "LILLE"}),
            ("other_cafs_activity", NORD, {"activity_id": str(somme_activity), "territory": "LILLE"}),
            ("somme_assigns_nord", SOMME, {"activity_id": str(nord_activity), "territory": "LILLE"}),
            ("unknown_territory", NORD, {"activity_id": str(nord_activity), "territory": "ROUBAIX"}),
        ]:
            with pytest.raises(RemoteError) as refused:
                await ask(estimation, "assign_territory", actor, **payload)
            refusals[name] = refused.value
        with pytest.raises(RemoteError) as refused:
            await ask(estimation, "territories", SOMME, caf="059")
        refusals["somme_reads_nord"] = refused.value
        async with estimation.db.sessions() as session:
            audits = (await session.execute(sa.select(CafTerritoryChange))).scalars().all()
            assigned = (await session.execute(sa.select(sa.func.count()).select_from(ActivityTerritory))).scalar()
        listing = await ask(estimation, "territories", NORD_INSTRUCTOR, caf="059")

    for name in ("somme_defines_nord", "instructor_defines", "cnaf_defines", "somme_reads_nord"):
        assert refusals[name].error == "forbidden", name
    assert "une Caf ne modifie jamais les territoires" in refusals["somme_defines_nord"].detail
    assert (refusals["too_low"].error, refusals["too_low"].field) == ("invalid", "valeur")
    assert "hors de la fourchette nationale" in refusals["too_low"].detail
    assert (refusals["no_name"].field, refusals["no_provenance"].field) == ("nom", "provenance")
    assert (refusals["unknown_activity"].error, refusals["unknown_activity"].field) == ("not_found", "activity_id")
    assert (refusals["other_cafs_activity"].error, refusals["other_cafs_activity"].field) == (
        "forbidden",
        "activity_id",
    )
    assert refusals["somme_assigns_nord"].error == "forbidden"
    assert (refusals["unknown_territory"].error, refusals["unknown_territory"].field) == ("invalid", "territoire")
    # nothing changed by a refusal: only the definition (its name and its amount) is audited, nothing assigned
    assert defined["modifie"] is True
    assert sorted(a.kind for a in audits) == ["montant", "nom"] and assigned == 0
    assert [t["nom"] for t in listing["territoires"]] == ["Métropole lilloise"]
    assert listing["territoires"][0]["montants"][0]["valeur"] == "2700"
    assert listing["activites"] == [{"activite_id": str(nord_activity), "territoire": None}]


async def test_an_assigned_activity_is_estimated_with_its_territorys_amount_and_only_that_caf_is_re_estimated(
    make_settings,
):
    lille_activity, other_activity, somme_activity = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with running(make_settings("estimation")) as estimation:
        lille_declaration = figures_updated("059", lille_activity)
        for envelope in (lille_declaration, figures_updated("059", other_activity)):
            await receive(estimation, envelope)
        await receive(estimation, figures_updated("080", somme_activity))
        await finished(estimation, (await ask(estimation, "set_parameter", NORD, **DEFAULT))["reestimation"])
        await finished(estimation, (await ask(estimation, "set_territory", NORD, **TERRITORY))["reestimation"])
        assigned = await ask(estimation, "assign_territory", NORD, activity_id=str(lille_activity), territory="LILLE")
        job = await finished(estimation, assigned["reestimation"])
        request = {"family": "eaje_psu", "nature": "multi_accueil", "exercice": 2026, "figures": FIGURES}
        lille = (
            await estimation.request(
                "estimation",
                "estimate",
                on_the_wire("estimate", {**request, "caf_code": "059", "activity_id": str(lille_activity)}),
            )
        )["result"]
        other = (
            await estimation.request(
                "estimation",
                "estimate",
                on_the_wire("estimate", {**request, "caf_code": "059", "activity_id": str(other_activity)}),
            )
        )["result"]
        revised = await outbox(estimation, "estimation.estimate_revised.v1")

    # hand computation: PSU 40 852,00 € + 10 × 1 500,50 € = 15 005,00 € (existing places, smoothed CEJ amount)
    # + new places: 4 × 2 700 € (Métropole lilloise) = 10 800,00 € → 66 657,00 €; default 4 × 3 000 € → 67 857,00 €
    assert lille["montant"] == "66657.00" and other["montant"] == "67857.00"
    [step] = [s for s in lille["etapes"] if s["libelle"] == "Bonus territoire, places nouvelles"]
    assert "fixé par la Caf du Nord pour le territoire « Métropole lilloise »" in step["formule"]
    [parameter] = [p for p in lille["parametres"] if p["nom"] == domain.NEW_PLACE_AMOUNT]
    assert "Métropole lilloise" in parameter["libelle"] and "délibération n° 2024-43" in parameter["provenance"]
    assert parameter["applicable_depuis"] == "2025-01-01"
    # the assignment re-estimated the Caf du Nord's open declarations only (the Somme's untouched)
    assert job.caf_code == "059" and job.processed == 2 and job.revised == 1
    assert (revised[-1]["data"]["declaration_id"], revised[-1]["data"]["new_amount"]) == (
        str(lille_declaration.data.declaration_id),
        "66657.00",
    )
