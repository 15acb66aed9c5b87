"""Aggregate figures of a declaration: sites combined field by field, ratios recomputed, financial form merged."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from afas_declaration.domain.figures import declaration_figures
from afas_declaration.domain.forms import load_definition, validate_values

D = Decimal
LUTINS = {
    **{"places": 20, "jours_ouverture": 200, "heures_ouverture_jour": "10"},  # 40 000 h offered
    **{"heures_realisees": "30000", "heures_facturees": "31500", "part_regime_general": "90"},
    **{"participations_familiales": "50000.50", "couches_fournies": True, "repas_fournis": False},
}
MESANGES = {
    **{"places": "10", "jours_ouverture": "220", "heures_ouverture_jour": D(11)},  # 24 200 h offered
    **{"heures_realisees": 10000, "heures_facturees": "11000", "part_regime_general": 50},
    **{"participations_familiales": "9999.50", "couches_fournies": "non", "repas_fournis": "false"},
}


@pytest.fixture(scope="module")
def eaje():
    return load_definition("eaje_psu")


def test_two_sites_add_up_quantities_and_recompute_ratios(eaje):
    figures = declaration_figures(eaje, "multi_accueil", [LUTINS, MESANGES], None)
    assert figures["places"] == 30
    assert figures["heures_realisees"] == D(40000) and figures["heures_facturees"] == D(42500)
    assert figures["participations_familiales"] == D("60000.00")
    # Calendar fields are the sites' mean, and hours offered the sum of each site's own product
    assert (figures["jours_ouverture"], figures["heures_ouverture_jour"]) == (D(210), D("10.50"))
    assert figures["heures_offertes"] == D(64200)
    assert figures["taux_facturation"] == D("106.25")  # 42 500 / 40 000
    assert figures["taux_occupation"] == D("62.31")  # 40 000 / 64 200
    # Weighted by hours: (90 × 30 000 + 50 × 10 000) / 40 000, not the plain mean 70
    assert figures["part_regime_general"] == D("80.00")
    assert (figures["couches_fournies"], figures["repas_fournis"]) == (True, False)
    assert figures["enfants_aeeh"] is None
    assert not any(key.startswith("charges_") for key in figures)


def test_percent_falls_back_to_the_plain_mean_when_a_site_has_no_hours(eaje):
    figures = declaration_figures(eaje, "multi_accueil", [LUTINS, {**MESANGES, "heures_realisees": None}], None)
    assert figures["part_regime_general"] == D("70.00")


def test_one_site_gives_the_form_own_values_and_the_financial_form_is_merged(eaje):
    financial = {"charges_60": "1000.10", "charges_64": 99000, "produits_74_caf": "40000", "charges_66": "-3"}
    figures = declaration_figures(eaje, "multi_accueil", [LUTINS], financial)
    cleaned, _ = validate_values(eaje.forms["activite"], "multi_accueil", LUTINS)
    assert {k: v for k, v in figures.items() if k in cleaned} == cleaned
    assert figures["total_charges"] == D("100000.10")
    assert figures["resultat"] == D("-60000.10")
    assert figures["charges_66"] is None  # refused by the form (negative): left out, reported by the controls
    assert set(figures) == set(eaje.forms["activite"].fields) | set(eaje.forms["financier"].fields)


def test_no_site_and_no_financial_form_gives_empty_figures(eaje):
    figures = declaration_figures(eaje, "multi_accueil", [], None)
    assert set(figures) == set(eaje.forms["activite"].fields)
    assert set(figures.values()) == {None}


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ([True, False], True),
        (["non", "oui"], True),
        (["non", False], False),
        ([None, ""], None),
        (["non", None], False),
    ],
)
def test_a_boolean_holds_if_any_site_says_yes(answers, expected):
    rpe = load_definition("rpe")
    sites = [{"missions_renforcees": answer} for answer in answers]
    assert declaration_figures(rpe, "general", sites, None)["missions_renforcees"] is expected


@pytest.mark.parametrize(
    ("years", "expected"),
    [(["2025-2026", "2025-2026"], "2025-2026"), (["2025-2026", "2026-2027"], "2025-2026 / 2026-2027")],
)
def test_texts_are_kept_when_sites_agree_else_joined(years, expected):
    clas = load_definition("clas")
    sites = [{"annee_scolaire": year, "groupes": 2} for year in years]
    figures = declaration_figures(clas, "general", sites, None)
    assert (figures["annee_scolaire"], figures["groupes"]) == (expected, 4)


def test_alsh_sums_computed_ceilings_and_weights_by_hours():
    alsh = load_definition("alsh")
    a = {
        "heures_realisees": "3000",
        "part_regime_general": "100",
        "mercredi_journees_repas": 10,
        "mercredi_heures": "80",
    }
    b = {"heures_realisees": "1000", "part_regime_general": "60", "mercredi_demi_journees": 5}
    figures = declaration_figures(alsh, "periscolaire", [a, b], None)
    assert figures["mercredi_heures_plafond"] == D(110)  # 10 × 9 h + 5 × 4 h
    assert figures["part_regime_general"] == D("90.00")
    assert figures["mercredi_heures"] == D(80) and figures["heures_aeeh"] is None


def test_forms_sharing_a_field_id_are_refused(eaje):
    clashing = dataclasses.replace(
        eaje, forms={"activite": eaje.forms["activite"], "financier": eaje.forms["activite"]}
    )
    with pytest.raises(ValueError, match="in both forms"):
        declaration_figures(clashing, "multi_accueil", [LUTINS], {})
