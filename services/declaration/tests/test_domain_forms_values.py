"""Typed values checked against a form definition: coercion, refusals with French messages, computed fields."""

from __future__ import annotations

from decimal import Decimal

import pytest

from afas_declaration.domain.forms import FieldProblem, load_definition, missing_required, validate_values


@pytest.fixture(scope="module")
def eaje():
    return load_definition("eaje_psu").forms["activite"]


@pytest.fixture(scope="module")
def financier():
    return load_definition("alsh").forms["financier"]


def test_unknown_field_is_refused(financier):
    cleaned, problems = validate_values(financier, "periscolaire", {"charges_99": 10, "charges_60": 10})
    assert problems == [FieldProblem("charges_99", "Ce champ n'existe pas dans ce formulaire.")]
    assert cleaned["charges_60"] == 10


def test_a_typed_total_is_refused_and_the_computed_one_kept(financier):
    cleaned, problems = validate_values(financier, "periscolaire", {"charges_60": "100", "total_charges": "999"})
    assert problems == [FieldProblem("total_charges", "Ce champ est calculé, il ne se saisit pas.")]
    assert cleaned["total_charges"] == Decimal(100)


def test_negative_hours_are_refused_naming_the_field(eaje):
    cleaned, problems = validate_values(eaje, "multi_accueil", {"heures_realisees": "-5"})
    assert [p.field_id for p in problems] == ["heures_realisees"]
    assert problems[0].message == "« Heures réalisées » : la valeur doit être supérieure ou égale à 0 h."
    assert "heures_realisees" not in cleaned


def test_maximum_is_enforced(eaje):
    _, problems = validate_values(eaje, "multi_accueil", {"heures_ouverture_jour": "24,5", "part_regime_general": 101})
    messages = {p.field_id: p.message for p in problems}
    assert messages["heures_ouverture_jour"].endswith("inférieure ou égale à 24 h.")
    assert messages["part_regime_general"].endswith("inférieure ou égale à 100 %.")


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("1234,5", Decimal("1234.5")),
        ("1 234,56", Decimal("1234.56")),
        ("1\u202f234,56", Decimal("1234.56")),
        ("12.75", Decimal("12.75")),
        (12, Decimal(12)),
        (0.1, Decimal("0.1")),
        (Decimal("3.10"), Decimal("3.10")),
        ("  ", None),
        (None, None),
    ],
)
def test_numbers_are_accepted_with_a_french_decimal_comma(financier, typed, expected):
    cleaned, problems = validate_values(financier, "periscolaire", {"charges_60": typed})
    assert problems == []
    assert cleaned["charges_60"] == expected


@pytest.mark.parametrize("typed", ["douze", "1.234,56", "12,3,4", "1e5", "nan", True, [1], "١٢"])
def test_what_is_not_a_number_is_refused(financier, typed):
    _, problems = validate_values(financier, "periscolaire", {"charges_60": typed})
    assert problems == [FieldProblem("charges_60", "« 60 - Achats » : saisissez un nombre (par exemple 1234,50).")]


def test_integers_and_decimal_places_are_checked(eaje, financier):
    _, problems = validate_values(eaje, "multi_accueil", {"places": "12,5"})
    assert problems[0].message == "« Nombre de places agréées » : saisissez un nombre entier."
    cleaned, problems = validate_values(eaje, "multi_accueil", {"places": "12,0"})
    assert (cleaned["places"], problems) == (Decimal(12), [])
    _, problems = validate_values(financier, "periscolaire", {"charges_60": "10,123"})
    assert problems[0].message == "« 60 - Achats » : 2 décimales au plus."


def test_booleans_and_texts(eaje):
    cleaned, problems = validate_values(eaje, "multi_accueil", {"couches_fournies": "oui", "repas_fournis": False})
    assert problems == []
    assert cleaned["couches_fournies"] is True and cleaned["repas_fournis"] is False
    _, problems = validate_values(eaje, "multi_accueil", {"couches_fournies": "peut-être"})
    assert problems[0].message == "« Les couches sont fournies par l'établissement » : répondez par oui ou par non."
    clas = load_definition("clas").forms["activite"]
    cleaned, problems = validate_values(clas, "general", {"annee_scolaire": " 2025-2026 "})
    assert (cleaned["annee_scolaire"], problems) == ("2025-2026", [])
    _, problems = validate_values(clas, "general", {"annee_scolaire": 2025})
    assert problems[0].message == "« Année scolaire (par exemple 2025-2026) » : saisissez un texte."


def test_missing_inputs_count_as_zero_in_totals(financier):
    cleaned, problems = validate_values(financier, "periscolaire", {})
    assert problems == []
    assert cleaned == {"total_charges": 0, "total_produits": 0, "resultat": 0}


def test_computed_values_are_rounded_like_the_form_shows_them(eaje):
    cleaned, _ = validate_values(eaje, "multi_accueil", {"heures_realisees": 3, "heures_facturees": 1})
    assert cleaned["taux_facturation"] == Decimal("33.33")


def test_missing_required_fields_are_listed_apart(eaje):
    cleaned, problems = validate_values(eaje, "multi_accueil", {"places": 20, "heures_realisees": ""})
    assert problems == []  # a draft may be incomplete
    missing = missing_required(eaje, "multi_accueil", cleaned)
    assert FieldProblem("jours_ouverture", "Ce champ est obligatoire.") in missing
    assert {p.field_id for p in missing} >= {"heures_realisees", "couches_fournies", "part_regime_general"}
    assert "places" not in {p.field_id for p in missing}
    assert all(not eaje.fields[p.field_id].is_computed for p in missing)
    complete = {f.id: 1 for f in eaje.fields.values() if f.required and f.is_numeric}
    complete |= {"couches_fournies": False, "repas_fournis": True}
    assert missing_required(eaje, "multi_accueil", complete) == []


def test_missing_required_follows_the_nature():
    form = load_definition("alsh").forms["activite"]
    required = {p.field_id for p in missing_required(form, "adolescents", {})}
    assert required == {"jours_ouverture", "heures_realisees", "part_regime_general"}


def test_an_unknown_nature_is_a_programming_error(eaje):
    with pytest.raises(ValueError, match="unknown nature 'periscolaire'"):
        validate_values(eaje, "periscolaire", {})
