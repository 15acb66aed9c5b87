"""Barèmes as data over the bus: a paramétrage agent changes a value (versioned, audited, announced), the open
declarations of the family are re-estimated in batches and only the moved amounts are announced."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from afas_estimation.adapters.tables import DeclarationEstimate, ReestimationJob
from afas_estimation.application import declarations
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.declaration import DeclarationCancelledV1
from afas_shared.messaging.rpc import RemoteError
from afas_shared.testing.credentials import ask_as
from afas_shared.testing.eaje import PSU_FIGURES
from afas_shared.testing.eaje import figures_updated as figures_updated_event
from afas_shared.testing.fixtures import eventually, running
from afas_shared.testing.outbox import queued as outbox
from services.estimation.tests.wire import on_the_wire

CNAF_AGENT = {"kind": "caf", "sub": str(uuid.uuid4()), "caf_code": "000", "caf_roles": ["parametrage_national"]}
AGENT = CNAF_AGENT  # national barèmes: the Cnaf's national paramétrage
CAF_AGENT = {"kind": "caf", "sub": str(uuid.uuid4()), "caf_code": "092", "caf_roles": ["parametrage"]}
INSTRUCTOR = {"kind": "caf", "sub": str(uuid.uuid4()), "caf_code": "092", "caf_roles": ["instruction"]}
PARTNER_USER = {"kind": "partner", "sub": str(uuid.uuid4()), "partner_id": str(uuid.uuid4())}
PSU = PSU_FIGURES
ALSH = {"heures_realisees": "10000", "total_charges": "30000", "part_regime_general": "100"}
CHANGE = {
    "family": "eaje_psu",
    "parameter": "taux_ps",
    "applies_from": "2026-01-01",
    "value": "0,70",
    "provenance": {
        "titre": "Circulaire de test relative à la PSU",
        "emetteur": "Cnaf",
        "date": "2026-01-05",
        "reference": "Circulaire Cnaf n° 2026-001",
    },
    "reason": "Revalorisation 2026",
}


def figures_updated(family, nature, figures, *, exercice=2026, version=1, declaration_id=None, caf_code="092"):
    return figures_updated_event(
        figures,
        caf_code,
        family=family,
        nature=nature,
        exercice=exercice,
        version=version,
        declaration_id=declaration_id,
    )


async def ask(runtime, verb: str, actor: dict | None, **payload):
    return await ask_as(runtime, "estimation", verb, actor, **on_the_wire(verb, payload))


async def test_a_change_is_versioned_audited_announced_and_used_by_the_next_estimate(make_settings):
    async with running(make_settings("estimation")) as estimation:
        request = on_the_wire(
            "estimate", {"family": "eaje_psu", "nature": "multi_accueil", "exercice": 2026, "figures": PSU}
        )
        before = (await estimation.request("estimation", "estimate", request))["result"]
        changed = await ask(estimation, "set_parameter", AGENT, **CHANGE)
        again = await ask(estimation, "set_parameter", AGENT, **CHANGE)
        after = (await estimation.request("estimation", "estimate", request))["result"]
        listing = await ask(estimation, "parameters", PARTNER_USER, family="eaje_psu")
        announced = await outbox(estimation, "estimation.bareme_changed.v1")
        job = await eventually(lambda: ask(estimation, "reestimation", AGENT, job_id=changed["reestimation"]))

    assert changed["modifie"] is True and changed["version"] == 1
    assert changed["changement"]["ancienne_valeur"] == "0.66" and changed["changement"]["nouvelle_valeur"] == "0.7"
    assert changed["changement"]["modifie_par"] == AGENT["sub"] and changed["changement"]["motif"] == CHANGE["reason"]
    assert again["modifie"] is False and again["version"] == 1  # the same value twice is one change
    # 0.66 → 0.70 × 9.22 × 10000 − 20000
    assert before["montant"] == "40852.00" and after["montant"] == "44540.00"
    assert after["version_bareme"] == 1 and after["empreinte_bareme"] != before["empreinte_bareme"]
    [taux] = [p for p in listing["parametres"] if p["nom"] == "taux_ps"]
    assert taux["valeurs"][0] == {
        **taux["valeurs"][0],
        "applicable_depuis": "2026-01-01",
        "valeur": "0.7",
        "origine": "parametrage",
        "provenance": "Circulaire de test relative à la PSU — Cnaf — 05/01/2026 — Circulaire Cnaf n° 2026-001",
        "provenance_detail": {**CHANGE["provenance"], "note": ""},
        "source": True,
        "version": 1,
    }
    assert taux["valeurs"][1]["origine"] == "fichier" and taux["valeurs"][1]["valeur"] == "0.66"
    assert [h["nouvelle_valeur"] for h in listing["historique"]] == ["0.7"] and listing["version"] == 1
    [event] = announced
    assert event["subject"] == "eaje_psu" and event["aggregate_version"] == 1
    assert event["data"]["old_value"] == "0.66" and event["data"]["new_value"] == "0.7"
    assert job["famille"] == "eaje_psu"


async def test_only_the_cnaf_national_paramétrage_changes_a_national_barème(make_settings):
    other_caf = {**CAF_AGENT, "caf_code": "080"}
    national_role_elsewhere = {**CAF_AGENT, "caf_roles": ["parametrage_national"]}  # the role outside the Cnaf
    async with running(make_settings("estimation")) as estimation:
        refusals = []
        for actor in (CAF_AGENT, other_caf, national_role_elsewhere, {"kind": "operator"}, INSTRUCTOR, PARTNER_USER):
            with pytest.raises(RemoteError) as refused:
                await ask(estimation, "set_parameter", actor, **CHANGE)
            refusals.append(refused.value)
        with pytest.raises(RemoteError) as anonymous:
            await ask(estimation, "set_parameter", None, **CHANGE)
        listing = await ask(estimation, "parameters", CAF_AGENT, family="eaje_psu")
        by_cnaf = await ask(estimation, "set_parameter", CNAF_AGENT, **CHANGE)
    assert [r.error for r in refusals] == ["forbidden"] * 6
    assert "Cnaf" in refusals[0].detail and "politique de versement" in refusals[0].detail
    assert anonymous.value.error == "unauthorized"
    assert listing["version"] == 0 and listing["historique"] == []  # nothing changed by the refusals
    assert by_cnaf["modifie"] is True and by_cnaf["changement"]["caf"] == "000"


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"value": "66"}, "valeur", "fraction"),
        ({"value": "beaucoup"}, "valeur", "n'est pas un nombre"),
        ({"value": None}, "valeur", "nouvelle valeur"),
        ({"value": "-0,1"}, "valeur", "négatif"),
        ({"parameter": "prix_plafond_maximum", "value": "0"}, "valeur", "supérieur à zéro"),
        # every amount in euros, not only the prix plafonds
        ({"parameter": "bonus_mixite_montant_1", "value": "0"}, "valeur", "en €/place : il doit être supérieur"),
        ({"parameter": "bonus_inclusion_montant_maximum", "value": "0,00"}, "valeur", "supérieur à zéro"),
        ({"parameter": "bonus_mixite_seuil_1", "value": "0"}, "valeur", "supérieur à zéro"),
        # ordered thresholds: seuil 1 < seuil 2 < seuil 3, on every date, once the change is applied
        (
            {"parameter": "bonus_mixite_seuil_2", "value": "1,30"},
            "valeur",
            "limite haute du troisième palier",  # the message in full: below
        ),
        ({"parameter": "bonus_mixite_seuil_2", "value": "0,75"}, "valeur", "strictement supérieur"),
        ({"parameter": "bonus_mixite_seuil_3", "applies_from": "2019-01-01", "value": "1"}, "valeur", "strictement"),
        ({"parameter": "bonus_inclusion_seuil_1", "value": "0,08"}, "valeur", "strictement inférieur"),
        ({"parameter": "seuil_tranche_2", "value": "100"}, "valeur", "strictement supérieur"),
        ({"parameter": "prix_plafond_minimum", "value": "9,50"}, "valeur", "strictement inférieur"),
        ({"parameter": "bonus_territoire_place_nouvelle_maximum", "value": "2500"}, "valeur", "strictement supérieur"),
        # a nature's own series keeps the order too
        (
            {"parameter": "bonus_mixite_seuil_1", "nature": "micro_creche_psu", "value": "1,10"},
            "valeur",
            "pour la nature Micro-crèche PSU",
        ),
        # overlapping dates, for a parameter that is not revalued every year too
        ({"parameter": "taux_ps", "applies_from": "2014-06-01"}, "applicable_depuis", "chevauche"),
        (
            {"parameter": "prix_plafond_maximum", "applies_from": "2025-07-01", "value": "9,50"},
            "applicable_depuis",
            "chevauche",
        ),
        ({"provenance": "  "}, "provenance", "provenance"),
        ({"provenance": "Circulaire Cnaf 2026"}, "provenance", "émetteur"),  # free text is not a provenance
        ({"provenance": {**CHANGE["provenance"], "date": None}}, "provenance", "la date"),
        ({"provenance": {**CHANGE["provenance"], "emetteur": ""}}, "provenance", "l'émetteur"),
        ({"provenance": {**CHANGE["provenance"], "reference": " "}}, "provenance", "référence"),
        ({"provenance": {**CHANGE["provenance"], "titre": "x"}}, "provenance", "trop courte"),
        ({"applies_from": "01/01/2026"}, "applicable_depuis", "AAAA-MM-JJ"),
        ({"parameter": "taux_magique"}, "parametre", "Paramètre inconnu"),
        ({"nature": "garderie_lunaire"}, "nature", "Nature inconnue"),
        ({"family": "creche_lunaire"}, "famille", "inconnu"),
    ],
)
async def test_a_bad_change_is_refused_naming_the_field(make_settings, change, field, words):
    async with running(make_settings("estimation")) as estimation:
        with pytest.raises(RemoteError) as refused:
            await ask(estimation, "set_parameter", AGENT, **{**CHANGE, **change})
        listing = await ask(estimation, "parameters", AGENT, family="eaje_psu")
    assert refused.value.error == "invalid" and refused.value.field == field
    assert words in refused.value.detail
    assert listing["version"] == 0 and listing["historique"] == []


async def test_a_change_re_estimates_the_open_declarations_and_announces_only_moved_amounts(make_settings):
    settings = make_settings("estimation", reestimation_batch_size=2)  # several batches even for a few declarations
    async with running(settings) as estimation:
        moved = [figures_updated("eaje_psu", "multi_accueil", PSU, caf_code=caf) for caf in ("092", "080", "059")]
        incomplete = figures_updated("eaje_psu", "multi_accueil", {"places": "20"})
        other_family = figures_updated("alsh", "periscolaire", ALSH)
        older = figures_updated("eaje_psu", "multi_accueil", PSU, exercice=2024)
        cancelled = figures_updated("eaje_psu", "creche_collective", PSU)
        stale = figures_updated("eaje_psu", "multi_accueil", {**PSU, "total_charges": "1"}, version=1)
        newer = figures_updated("eaje_psu", "multi_accueil", PSU, version=2, declaration_id=stale.data.declaration_id)
        for envelope in [*moved, incomplete, other_family, older, cancelled, newer, stale]:
            async with estimation.unit_of_work() as uow:
                await declarations.on_figures_updated(uow, envelope)
        closing = DeclarationCancelledV1(
            **cancelled.data.model_dump(exclude={"figures", "activity_opening_date"}),
            cancelled_by=None,
            cancelled_at=datetime.now(UTC),
            reason="Activité fermée",
        )
        async with estimation.unit_of_work() as uow:
            await declarations.on_cancelled(
                uow, Envelope.wrap(closing, subject="x", aggregate_version=12, correlation_id="t")
            )

        changed = await ask(estimation, "set_parameter", AGENT, **CHANGE)

        async def finished():
            async with estimation.db.sessions() as session:
                job = await session.get(ReestimationJob, uuid.UUID(changed["reestimation"]))
                return job if job.finished_at else None

        job = await eventually(finished)
        revised = await outbox(estimation, "estimation.estimate_revised.v1")
        async with estimation.db.sessions() as session:
            stored = {e.declaration_id: e for e in (await session.execute(sa.select(DeclarationEstimate))).scalars()}

    expected = {str(e.data.declaration_id) for e in [*moved, newer]}  # a national change: every Caf's declarations
    assert {r["data"]["declaration_id"] for r in revised} == expected
    assert all(r["data"]["old_amount"] == "40852.00" and r["data"]["new_amount"] == "44540.00" for r in revised)
    assert all(r["aggregate_version"] == 2 and r["data"]["bareme_version"] == 1 for r in revised)
    # processed: the 4 complete open ones, the incomplete one (still no amount, nothing announced), not 2024
    assert (job.processed, job.revised) == (5, 4)
    assert stored[incomplete.data.declaration_id].amount is None
    assert "manquantes" in stored[incomplete.data.declaration_id].error
    assert stored[other_family.data.declaration_id].bareme_version == 0
    assert stored[older.data.declaration_id].bareme_version == 0
    assert stored[moved[0].data.declaration_id].bareme_version == 1


@pytest.mark.parametrize(
    ("applies_from", "value", "moved"),
    [
        # the earliest value (2023): exercices 2021 and 2022 are backfilled from it, 2023 applies it
        ("2023-01-01", "8,80", {2021: ("37420.00", "38080.00"), 2022: ("37420.00", "38080.00"),
                                2023: ("37420.00", "38080.00")}),
        # a value before the earliest one becomes the earliest: 2021 backfilled from it, 2022 applies it
        ("2022-01-01", "8,50", {2021: ("37420.00", "36100.00"), 2022: ("37420.00", "36100.00")}),
        # a later value: the exercices before it keep theirs and are not even re-read
        ("2024-01-01", "9,00", {2024: ("39136.00", "39400.00")}),
    ],
)  # fmt: skip
async def test_a_change_of_the_earliest_yearly_value_re_estimates_the_exercices_backfilled_from_it(
    make_settings, applies_from, value, moved
):
    """PSU at 100 % billing, nappies and meals provided: 0,66 × prix plafond (≤ 107 %) × 10 000 h − 20 000 €; that
    ceiling is known from 2023 (8,70 €/h) and 2024 (8,96 €/h): 2021 and 2022 apply 8,70 €/h, flagged provisional."""
    change = {
        **CHANGE,
        "parameter": "prix_plafond_107_couches_repas",
        "applies_from": applies_from,
        "value": value,
    }
    async with running(make_settings("estimation")) as estimation:
        by_year = {year: figures_updated("eaje_psu", "multi_accueil", PSU, exercice=year) for year in range(2021, 2025)}
        for envelope in by_year.values():
            async with estimation.unit_of_work() as uow:
                await declarations.on_figures_updated(uow, envelope)
        changed = await ask(estimation, "set_parameter", AGENT, **change)

        async def finished():
            async with estimation.db.sessions() as session:
                job = await session.get(ReestimationJob, uuid.UUID(changed["reestimation"]))
                return job if job.finished_at else None

        job = await eventually(finished)
        revised = await outbox(estimation, "estimation.estimate_revised.v1")
        async with estimation.db.sessions() as session:
            stored = {e.declaration_id: e for e in (await session.execute(sa.select(DeclarationEstimate))).scalars()}

    year_of = {str(e.data.declaration_id): year for year, e in by_year.items()}
    assert {
        year_of[r["data"]["declaration_id"]]: (r["data"]["old_amount"], r["data"]["new_amount"]) for r in revised
    } == (moved)
    re_read = {year for year, e in by_year.items() if stored[e.data.declaration_id].bareme_version == 1}
    assert re_read == ({2021, 2022, 2023, 2024} if applies_from < "2024" else {2023, 2024})
    assert job.revised == len(moved)


async def test_a_threshold_out_of_order_is_refused_naming_both_values_in_french(make_settings):
    async with running(make_settings("estimation")) as estimation:
        with pytest.raises(RemoteError) as refused:
            await ask(
                estimation, "set_parameter", AGENT, **{**CHANGE, "parameter": "bonus_mixite_seuil_2", "value": "1,30"}
            )
        listing = await ask(estimation, "parameters", AGENT, family="eaje_psu")
    assert refused.value.field == "valeur"
    detail = refused.value.detail.replace("\u00a0", " ")
    [label] = [p["libelle"] for p in listing["parametres"] if p["nom"] == "bonus_mixite_seuil_2"]
    assert f"« {label} » (1,30 €/h) doit rester strictement inférieur à" in detail, detail
    assert "(1,25 €/h, en vigueur le 01/01/2026)" in detail and "ces valeurs restent dans l'ordre" in detail
    assert listing["version"] == 0
