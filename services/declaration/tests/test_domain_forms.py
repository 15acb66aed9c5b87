"""The form definitions shipped for campaign 2026.1: every family loads, totals add up, natures filter fields."""

from __future__ import annotations

import importlib.resources
from decimal import Decimal

import pytest

from afas_declaration.domain.forms import (
    CURRENT_VERSION,
    DECLARATION_TYPES,
    FIELD_TYPES,
    available_families,
    available_versions,
    fields_for,
    load_definition,
    sections_for,
    validate_values,
)

FAMILIES = [
    "eaje_psu",
    "alsh",
    "rpe",
    "laep",
    "espace_rencontre",
    "mediation_familiale",
    "ps_jeunes",
    "centre_social_agc",
    "centre_social_acf",
    "clas",
    "ctg",
]
ALSH_WEDNESDAY = {"mercredi_journees_repas", "mercredi_demi_journees", "mercredi_heures", "mercredi_heures_plafond"}


def test_the_current_version_is_shipped_inside_the_package():
    root = importlib.resources.files("afas_declaration.domain.forms") / "definitions" / CURRENT_VERSION
    assert sorted(p.name for p in root.iterdir() if p.name.endswith(".yaml")) == sorted(f"{f}.yaml" for f in FAMILIES)
    assert CURRENT_VERSION == "2026.1"
    assert CURRENT_VERSION in available_versions()
    assert available_families() == sorted(FAMILIES)


@pytest.mark.parametrize("family", FAMILIES)
def test_every_family_loads_with_an_activity_and_a_financial_form(family):
    definition = load_definition(family, "2026.1")
    assert (definition.family, definition.version) == (family, "2026.1")
    assert set(definition.forms) == {"activite", "financier"}
    assert definition.natures
    for form in definition.forms.values():
        assert set(form.title_by_type) == set(DECLARATION_TYPES)
        assert all(f.type in FIELD_TYPES and f.label for f in form.fields.values())
        assert any(f.required for f in form.fields.values())
    financier = definition.forms["financier"]
    assert financier.title_for("previsionnelle") == "Budget prévisionnel"
    for declaration_type in ("reelle", "actualisee_juin", "actualisee_septembre"):
        assert financier.title_for(declaration_type) == "Compte de résultat"
    assert definition.forms["activite"].title_for("reelle") == "Données d'activité"
    assert financier.computed_order == ("total_charges", "total_produits", "resultat")


def test_definitions_are_cached():
    assert load_definition("alsh") is load_definition("alsh", CURRENT_VERSION)


@pytest.mark.parametrize("family", FAMILIES)
def test_financial_totals_and_result_are_computed(family):
    form = load_definition(family).forms["financier"]
    charges = {f"charges_{group}": Decimal(1000 * (i + 1)) for i, group in enumerate((60, 61, 62, 63, 64, 65, 86))}
    produits = {f.id: Decimal(500) for f in form.fields.values() if f.id.startswith("produits_")}
    typed = {**charges, **{k: str(v) for k, v in produits.items()}}
    cleaned, problems = validate_values(form, next(iter(form.natures)), typed)
    assert problems == []
    assert cleaned["total_charges"] == sum(charges.values()) == Decimal(28000)
    assert cleaned["total_produits"] == 500 * len(produits)
    assert cleaned["resultat"] == cleaned["total_produits"] - cleaned["total_charges"]


def test_eaje_splits_family_fees_and_caf_subsidy_out_of_the_products():
    ids = set(load_definition("eaje_psu").forms["financier"].fields)
    assert {"produits_70_participations_familiales", "produits_70_autres", "produits_74_caf"} <= ids
    assert {"produits_74_commune", "produits_74_departement", "produits_74_autres", "produits_87"} <= ids
    assert "produits_70" not in ids
    assert "produits_70" in load_definition("alsh").forms["financier"].fields


def test_a_deficit_is_a_negative_result():
    form = load_definition("ctg").forms["financier"]
    cleaned, _ = validate_values(form, "general", {"charges_64": "42 000", "produits_74_caf": "30000,50"})
    assert cleaned["resultat"] == Decimal("-11999.50")


def test_eaje_activity_has_what_the_psu_calculation_needs():
    form = load_definition("eaje_psu").forms["activite"]
    needed = {
        "places",
        "jours_ouverture",
        "heures_ouverture_jour",
        "heures_realisees",
        "heures_facturees",
        "participations_familiales",
        "enfants_aeeh",
        "part_regime_general",
        "couches_fournies",
        "repas_fournis",
    }
    assert needed <= set(form.fields)
    assert form.fields["couches_fournies"].type == "boolean"
    assert form.fields["part_regime_general"].max == 100


def test_eaje_billing_and_occupancy_rates_are_computed():
    form = load_definition("eaje_psu").forms["activite"]
    typed = {
        "places": 20,
        "jours_ouverture": 220,
        "heures_ouverture_jour": "11",
        "heures_realisees": "33 880",
        "heures_facturees": "37 268",
    }
    cleaned, problems = validate_values(form, "multi_accueil", typed)
    assert problems == []
    assert cleaned["heures_offertes"] == Decimal(48400)
    assert cleaned["taux_facturation"] == Decimal("110.00")
    assert cleaned["taux_occupation"] == Decimal("70.00")


def test_a_rate_over_no_hours_has_no_value():
    form = load_definition("eaje_psu").forms["activite"]
    cleaned, problems = validate_values(form, "creche_collective", {"heures_facturees": 100, "heures_realisees": 0})
    assert problems == []
    assert cleaned["taux_facturation"] is None
    assert cleaned["taux_occupation"] is None  # no place typed: offered hours are 0


@pytest.mark.parametrize("nature", ["periscolaire", "extrascolaire"])
def test_alsh_wednesday_fields_apply_to_periscolaire_and_extrascolaire(nature):
    form = load_definition("alsh").forms["activite"]
    ids = {f.id for f in fields_for(form, nature)}
    assert ALSH_WEDNESDAY <= ids
    assert ("mercredi_heures_nouvelles" in ids) is (nature == "periscolaire")
    cleaned, problems = validate_values(form, nature, {"mercredi_journees_repas": 30, "mercredi_demi_journees": "12"})
    assert problems == []
    assert cleaned["mercredi_heures_plafond"] == 30 * 9 + 12 * 4


def test_alsh_adolescents_have_no_wednesday_fields():
    form = load_definition("alsh").forms["activite"]
    ids = {f.id for f in fields_for(form, "adolescents")}
    assert not ids & (ALSH_WEDNESDAY | {"mercredi_heures_nouvelles"})
    assert {"heures_realisees", "heures_aeeh", "part_regime_general"} <= ids
    assert [s.id for s in sections_for(form, "adolescents")] == ["activite"]
    cleaned, problems = validate_values(form, "adolescents", {"mercredi_heures": 10, "heures_realisees": 100})
    assert [p.field_id for p in problems] == ["mercredi_heures"]
    assert "ne concerne pas" in problems[0].message
    assert "mercredi_heures_plafond" not in cleaned


@pytest.mark.parametrize(
    ("family", "field_id"),
    [
        ("rpe", "etp_animateurs"),
        ("laep", "heures_organisation"),
        ("espace_rencontre", "heures_ouverture"),
        ("mediation_familiale", "etp_mediateurs"),
        ("mediation_familiale", "participations_familiales"),
        ("ps_jeunes", "etp_animateurs"),
        ("centre_social_agc", "etp_direction"),
        ("centre_social_acf", "etp_referent_familles"),
        ("clas", "groupes"),
        ("clas", "annee_scolaire"),
        ("ctg", "etp_charge_cooperation"),
    ],
)
def test_each_family_asks_for_the_units_its_subsidy_is_counted_in(family, field_id):
    field = load_definition(family).forms["activite"].fields[field_id]
    assert field.required
    assert not field.is_computed


def test_laep_hours_add_opening_and_organisation():
    form = load_definition("laep").forms["activite"]
    cleaned, _ = validate_values(form, "general", {"heures_ouverture": "312", "heures_organisation": "104,5"})
    assert cleaned["heures_total"] == Decimal("416.50")
