"""Bad requests are refused with a French message naming the field, never a crash nor a zero amount."""

from __future__ import annotations

import pytest

from afas_estimation.domain.errors import InvalidInputs, UnknownFamily, UnknownNature, UnknownPeriod
from afas_estimation.domain.estimate import estimate

PSU = {
    "places": "20",
    "heures_realisees": "10000",
    "heures_facturees": "10000",
    "total_charges": "80000",
    "participations_familiales": "20000",
    "part_regime_general": "100",
    "couches_fournies": "true",
    "repas_fournis": "true",
}


def test_every_missing_input_is_listed_at_once():
    figures = {k: v for k, v in PSU.items() if k not in ("heures_facturees", "part_regime_general", "repas_fournis")}
    with pytest.raises(InvalidInputs) as error:
        estimate("eaje_psu", "multi_accueil", 2024, figures)
    assert error.value.missing == ["heures_facturees", "part_regime_general", "repas_fournis"]
    assert "heures_facturees, part_regime_general, repas_fournis" in error.value.message


def test_empty_strings_count_as_missing():
    with pytest.raises(InvalidInputs) as error:
        estimate("eaje_psu", "multi_accueil", 2024, {**PSU, "heures_realisees": " "})
    assert error.value.missing == ["heures_realisees"]


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("heures_realisees", "-5", "négative"),
        ("part_regime_general", "100.5", "100 %"),
        ("total_charges", "beaucoup", "n'est pas un nombre"),
        ("couches_fournies", "peut-être", "oui ou non"),
        ("heures_facturees", "0", "strictement positif"),
    ],
)
def test_impossible_values_are_refused_with_a_reason(field, value, reason):
    with pytest.raises(InvalidInputs) as error:
        estimate("eaje_psu", "multi_accueil", 2024, {**PSU, field: value})
    assert error.value.field == field
    assert reason in error.value.message


def test_missing_and_impossible_are_reported_together():
    figures = {k: v for k, v in PSU.items() if k != "total_charges"}
    with pytest.raises(InvalidInputs) as error:
        estimate("eaje_psu", "multi_accueil", 2024, {**figures, "heures_realisees": "-1"})
    assert error.value.missing == ["total_charges"]
    assert [field for field, _ in error.value.problems] == ["heures_realisees"]


def test_alsh_wednesday_hours_need_their_cap_and_stay_within_all_hours():
    base = {"heures_realisees": "100", "total_charges": "500", "part_regime_general": "100"}
    with pytest.raises(InvalidInputs) as error:
        estimate("alsh", "periscolaire", 2024, {**base, "mercredi_heures": "50"})
    assert error.value.missing == ["mercredi_journees_repas", "mercredi_demi_journees"]
    with pytest.raises(InvalidInputs) as error:
        estimate("alsh", "periscolaire", 2024, {**base, "mercredi_heures": "150", "mercredi_journees_repas": "20"})
    assert error.value.problems[0][0] == "mercredi_heures"


def test_clas_school_year_must_be_two_consecutive_years():
    with pytest.raises(InvalidInputs) as error:
        estimate("clas", None, 2024, {"annee_scolaire": "2023-2025", "groupes": "1", "total_charges": "1000"})
    assert error.value.problems[0][0] == "annee_scolaire"


def test_unknown_family_is_a_clear_error():
    with pytest.raises(UnknownFamily) as error:
        estimate("creche_lunaire", "general", 2024, {})
    assert error.value.field == "family"
    assert "eaje_psu" in error.value.message


def test_unknown_nature_lists_the_natures():
    with pytest.raises(UnknownNature) as error:
        estimate("eaje_psu", "periscolaire", 2024, PSU)
    assert "multi_accueil" in error.value.message


def test_single_nature_families_need_no_nature():
    result = estimate("ps_jeunes", None, 2024, {"etp_animateurs": "1", "total_charges": "1000"})
    assert result.nature == "general"


@pytest.mark.parametrize("exercice", ["deux mille", "1999", None])
def test_malformed_or_absurd_exercice(exercice):
    with pytest.raises(UnknownPeriod) as error:
        estimate("eaje_psu", "multi_accueil", exercice, PSU)
    assert error.value.field == "exercice"


def test_a_period_before_every_known_value_names_the_parameter():
    with pytest.raises(UnknownPeriod) as error:
        estimate("eaje_psu", "multi_accueil", 2010, PSU)
    assert "Taux de prise en charge" in error.value.message or "Prix plafond" in error.value.message
