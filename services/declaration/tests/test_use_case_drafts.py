"""Filling forms, at the use-case level: drafts saved under optimistic versions (a stale save refused naming who
saved first), each provider on its own form only, values checked and totals computed, prefill from the activity's
previous declaration; the Caf reads every form and edits none."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from afas_declaration.application import drafts
from afas_declaration.application.errors import Conflict, Forbidden, Invalid, NotFound
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.contracts.events.declaration import DeclarationFiguresUpdatedV1, FormSavedV1

BUDGET = {
    "charges_60": "12000",
    "charges_61": "3000,50",
    "charges_62": "1500",
    "charges_63": "500",
    "charges_64": "85000",
    "charges_65": "999.50",
    "produits_70": "20000",
    "produits_74_caf": "30000",
    "produits_74_commune": "50000",
    "produits_74_departement": "0",
    "produits_74_autres": "0",
    "produits_75": "1000",
}
SITES = ("École Jules Ferry", "École Victor Hugo")


async def _alsh(world, declaration_type: str = "previsionnelle"):
    """The ALSH on two schools: Karim enters the first school's data, Lucas the second's, Sophie the budget."""
    await world.register_partner()
    alsh = await world.activity("alsh", "periscolaire", "ALSH Les Coccinelles", sites=SITES)
    people = {
        "karim": await world.user("Karim", "Bernard"),
        "lucas": await world.user("Lucas", "Petit"),
        "sophie": await world.user("Sophie", "Martin"),
    }
    await world.grant(people["karim"], "fda", alsh, site=0)
    await world.grant(people["lucas"], "fda", alsh, site=1)
    await world.grant(people["sophie"], "fdf", alsh)
    await world.campaign("alsh", declaration_type)
    return alsh, people


def _id(view: dict) -> uuid.UUID:
    return uuid.UUID(view["id"])


async def _only_form(world, user, declaration_id) -> dict:
    [form] = (await drafts.detail(world.runtime, user.caller, declaration_id))["formulaires"]
    return form


async def test_a_save_raises_the_version_and_a_stale_save_is_refused_naming_who_saved_first(world):
    alsh, people = await _alsh(world)
    declaration_id = await world.declaration_of(alsh)
    karim = people["karim"].caller
    form = await _only_form(world, people["karim"], declaration_id)
    assert (form["type"], form["lieu"], form["version"], form["modifiable"]) == ("activite", SITES[0], 0, True)
    assert "Accueil du mercredi" in [s["libelle"] for s in form["sections"]]

    values = {"jours_ouverture": 140, "heures_realisees": "12500,5", "part_regime_general": "92"}
    saved = await drafts.save(world.runtime, karim, _id(form), 0, values)
    assert (saved["version"], saved["enregistre_par"], saved["etat"]) == (1, "Karim Bernard", "En cours de saisie")
    assert saved["valeurs"]["heures_realisees"] == "12500.5" and saved["enregistre_a"] == "10:00"

    with pytest.raises(Conflict) as stale:
        await drafts.save(world.runtime, karim, _id(form), 0, {})
    assert "par Karim Bernard le 02/03/2026 à 10:00" in stale.value.detail and stale.value.field == "version"
    with pytest.raises(Conflict, match="La version 7 de ce formulaire n'existe pas"):
        await drafts.save(world.runtime, karim, _id(form), 7, values)

    [event] = await world.published(FormSavedV1.subject())
    assert (event.subject, event.data.form_version, event.data.saved_by) == (form["id"], 1, people["karim"].id)
    [figures] = await world.published(DeclarationFiguresUpdatedV1.subject())
    assert figures.data.figures["heures_realisees"] == "12500.5" and figures.data.activity_opening_date.year == 2020


async def test_a_provider_of_one_site_may_not_save_another_sites_form(world):
    alsh, people = await _alsh(world)
    declaration_id = await world.declaration_of(alsh)
    karims = await _only_form(world, people["karim"], declaration_id)
    lucas = await _only_form(world, people["lucas"], declaration_id)
    assert lucas["lieu"] == SITES[1]
    with pytest.raises(Forbidden, match="pas de rôle de saisie sur ce formulaire"):
        await drafts.save(world.runtime, people["lucas"].caller, _id(karims), 0, {"jours_ouverture": 10})
    with pytest.raises(Forbidden):
        await drafts.save(
            world.runtime,
            people["karim"].caller,
            _id((await world.forms(declaration_id))[("financier", None)]),
            0,
            BUDGET,
        )
    assert await world.published(FormSavedV1.subject()) == []


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"charges_60": "-5"}, "charges_60"),
        ({"inconnu": "1"}, "inconnu"),
        ({"total_charges": "1000"}, "total_charges"),  # computed, never typed
        ({"charges_61": "douze"}, "charges_61"),
    ],
)
async def test_values_are_checked_naming_the_field_at_fault(world, values, field):
    alsh, people = await _alsh(world)
    budget = await _only_form(world, people["sophie"], await world.declaration_of(alsh))
    with pytest.raises(Invalid) as refused:
        await drafts.save(world.runtime, people["sophie"].caller, _id(budget), 0, values)
    assert refused.value.field == f"valeurs.{field}"


async def test_totals_are_computed_from_the_typed_values(world):
    alsh, people = await _alsh(world)
    budget = await _only_form(world, people["sophie"], await world.declaration_of(alsh))
    assert budget["titre"] == "Budget prévisionnel"
    saved = await drafts.save(world.runtime, people["sophie"].caller, _id(budget), 0, BUDGET)
    assert (saved["valeurs"]["total_charges"], saved["valeurs"]["total_produits"]) == ("103000.00", "101000.00")
    assert saved["valeurs"]["resultat"] == "-2000.00"


async def test_prefill_takes_up_the_typed_values_of_the_activitys_previous_declaration(world):
    alsh, people = await _alsh(world)
    sophie = people["sophie"].caller
    forecast = await _only_form(world, people["sophie"], await world.declaration_of(alsh))
    await drafts.save(world.runtime, sophie, _id(forecast), 0, BUDGET)
    await world.campaign("alsh", "reelle")
    actual = await _only_form(world, people["sophie"], await world.declaration_of(alsh, "reelle"))
    assert (actual["titre"], actual["valeurs"]) == ("Compte de résultat", {})

    prefilled = await drafts.prefill(world.runtime, sophie, _id(actual), 0)
    assert (prefilled["version"], prefilled["valeurs"]["charges_61"]) == (1, "3000.50")
    assert prefilled["valeurs"]["total_charges"] == "103000.00"  # computed again, not copied
    with pytest.raises(NotFound, match="Aucune déclaration précédente"):
        await drafts.prefill(world.runtime, sophie, _id(forecast), 1)
    with pytest.raises(Forbidden):  # no role on the form: refused before learning whether there is a history
        await drafts.prefill(world.runtime, people["karim"].caller, _id(actual), 1)


async def test_the_caf_reads_every_form_but_edits_none_and_a_stranger_reads_nothing(world):
    alsh, people = await _alsh(world)
    declaration_id = await world.declaration_of(alsh)
    view = await drafts.detail(world.runtime, world.agent, declaration_id)
    assert [(f["type"], f["lieu"]) for f in view["formulaires"]] == [
        ("activite", SITES[0]),
        ("activite", SITES[1]),
        ("financier", None),
    ]
    assert not any(f["modifiable"] for f in view["formulaires"]) and view["etat"] == "À saisir"
    stranger = await world.user("Paul", "Durand")  # of the partner, but with no role on this activity
    with pytest.raises(Forbidden, match="pas dans votre périmètre"):
        await drafts.detail(world.runtime, stranger.caller, declaration_id)
    other_caf = ForwardedCaller(kind="caf", caf_code="059", caf_roles=frozenset({"instruction"}))
    with pytest.raises(Forbidden):
        await drafts.detail(world.runtime, other_caf, declaration_id)


async def test_a_declaration_is_read_in_one_statement_carrying_the_providers_rights_on_its_sites(world):
    """Its rows carry the caller's lines acting on the activity: Karim (first school) sees and edits his form only,
    Sophie the budget; one statement each, no second read of their grant lines."""
    alsh, people = await _alsh(world)
    declaration_id = await world.declaration_of(alsh)
    statements: list[str] = []

    def seen(_connection, _cursor, statement, _parameters, _context, _many) -> None:
        statements.append(statement)

    engine = world.runtime.db.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        karim = await drafts.detail(world.runtime, people["karim"].caller, declaration_id)
        sophie = await drafts.detail(world.runtime, people["sophie"].caller, declaration_id)
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2, statements
    assert [(f["type"], f["lieu"], f["modifiable"]) for f in karim["formulaires"]] == [("activite", SITES[0], True)]
    assert [(f["type"], f["modifiable"]) for f in sophie["formulaires"]] == [("financier", True)]
