"""How control results are built, ordered and worded (the edges of each control: test_domain_controls_edges)."""

from __future__ import annotations

import pytest

from afas_declaration.domain.controls import load_controls, run_controls
from services.declaration.tests.controls_cases import BASELINES, D, result_of, run

NBSP = "\u00a0"


def test_a_flagged_anomaly_states_the_measure_and_the_threshold_in_french():
    result = result_of(run("eaje_psu", {"heures_facturees": "32103"}), "taux_facturation")
    assert (result.severity, result.status, result.form, result.site) == ("flagged", "anomalie", "activite", None)
    assert (result.measured, result.threshold, result.unit) == (D("107.01"), D(107), "%")
    assert result.field_ids == ("taux_facturation",)
    expected = "Taux de facturation : 107,01 % mesuré (32 103 h facturées / 30 000 h réalisées), seuil 107 %."
    assert result.message.replace(NBSP, " ") == expected
    # No-break spaces keep a figure whole: between thousands and before the unit
    assert f"32{NBSP}103{NBSP}h" in result.message and f"107{NBSP}%" in result.message


def test_a_computed_threshold_is_quoted_at_the_measure_precision():
    result = result_of(run("eaje_psu", {"reference_prix_plafond": "1.66"}), "cout_unitaire")
    assert (result.measured, result.threshold) == (D("3.33"), D("3.32"))
    assert result.message.replace(NBSP, " ") == (
        "Coût par heure réalisée : 3,33 €/h mesuré (100 000,00 € / 30 000 h), "
        "seuil 3,32 €/h (deux fois le prix plafond de 1,66 €/h)."
    )


def test_without_previous_forecast_or_references_the_comparisons_are_not_evaluated():
    control_set = load_controls("eaje_psu")
    nature, activity, financial, _ = BASELINES["eaje_psu"]
    results = run_controls(control_set, nature, "reelle", [(None, activity)], financial)
    skipped = {r.control_id: r for r in results if r.status == "non_evalue"}
    assert set(skipped) == {
        "cout_unitaire",
        "variation_heures_realisees",
        "variation_total_charges",
        "ecart_previsionnel_heures_realisees",
        "ecart_previsionnel_total_charges",
    }
    assert all(r.measured is None and r.threshold is None for r in skipped.values())
    assert skipped["variation_total_charges"].message == (
        "Variation du total des charges par rapport à la déclaration précédente : non évalué, "
        "donnée manquante : « Total des charges (déclaration précédente) »."
    )
    assert skipped["cout_unitaire"].message.endswith("donnée manquante : « Prix plafond horaire ».")
    assert {r.status for r in results} == {"ok", "non_evalue"}


@pytest.mark.parametrize("unusable", [None, "", "n/a", True, [1]])
def test_an_unusable_outside_figure_is_not_evaluated(unusable):
    result = result_of(run("eaje_psu", {"precedent_heures_realisees": unusable}), "variation_heures_realisees")
    assert result.status == "non_evalue"


def test_a_ratio_over_zero_is_not_evaluated_and_says_why():
    results = run("eaje_psu", {"heures_realisees": "0", "precedent_heures_realisees": "0"})
    assert result_of(results, "taux_facturation").message == (
        "Taux de facturation : non évalué, calcul impossible (division par zéro)."
    )
    assert result_of(results, "variation_heures_realisees").status == "non_evalue"
    assert result_of(results, "cout_unitaire").status == "non_evalue"


def test_a_ratio_of_an_empty_field_names_the_missing_input_not_the_ratio():
    results = run("eaje_psu", {"places": None})
    occupancy = result_of(results, "taux_occupation")
    assert occupancy.status == "non_evalue"
    assert occupancy.message.endswith("donnée manquante : « Nombre de places agréées ».")


def test_empty_optional_amounts_count_as_zero_where_the_control_says_so():
    result = result_of(run("eaje_psu", {"charges_86": "500"}), "contributions_volontaires")
    assert (result.status, result.measured) == ("anomalie", D("500.00"))
    assert "compte 87 : 0,00" in result.message


def test_required_fields_and_invalid_values_are_blocking_one_result_per_field_naming_form_and_site():
    _, activity, _, _ = BASELINES["eaje_psu"]
    lutins = {**activity, "heures_realisees": "", "places": None}
    mesanges = {**activity, "heures_facturees": "-5"}
    results = run("eaje_psu", {"charges_64": "abc"}, sites=[("Les Lutins", lutins), ("Les Mésanges", mesanges)])
    anomalies = [(r.control_id, r.site, r.field_ids, r.message) for r in results if r.status == "anomalie"]
    blocking = [a for a in anomalies if a[0] in ("champ_obligatoire", "valeur_invalide")]
    assert blocking == [
        (
            "champ_obligatoire",
            "Les Lutins",
            ("places",),
            "Données d'activité – site Les Lutins : le champ « Nombre de places agréées » est obligatoire.",
        ),
        (
            "champ_obligatoire",
            "Les Lutins",
            ("heures_realisees",),
            "Données d'activité – site Les Lutins : le champ « Heures réalisées » est obligatoire.",
        ),
        (
            "valeur_invalide",
            "Les Mésanges",
            ("heures_facturees",),
            "Données d'activité – site Les Mésanges : « Heures facturées aux familles » : "
            "la valeur doit être supérieure ou égale à 0 h.",
        ),
        (
            "valeur_invalide",
            None,
            ("charges_64",),
            "Compte de résultat : « 64 - Charges de personnel » : saisissez un nombre (par exemple 1234,50).",
        ),
    ]


def test_unknown_and_computed_fields_sent_are_reported_with_their_name():
    results = run("alsh", {"total_charges": "5", "charges_99": "1"})
    messages = [r.message for r in results if r.control_id == "valeur_invalide" and r.status == "anomalie"]
    assert messages == [
        "Compte de résultat : « Total des charges » : ce champ est calculé, il ne se saisit pas.",
        "Compte de résultat : « charges_99 » : ce champ n'existe pas dans ce formulaire.",
    ]


def test_per_site_controls_run_once_per_site_and_declaration_controls_once():
    _, activity, _, _ = BASELINES["eaje_psu"]
    sites = [("A", activity), ("B", {**activity, "heures_facturees": "33000"})]
    results = run("eaje_psu", sites=sites)
    billing = [(r.site, r.status) for r in results if r.control_id == "taux_facturation"]
    assert billing == [("A", "ok"), ("B", "anomalie")]
    assert [r.site for r in results if r.control_id == "cout_unitaire"] == [None]
    # The declaration sums both sites: 60 000 h against the 30 000 h of the previous declaration
    variation = result_of(results, "variation_heures_realisees")
    assert (variation.status, variation.measured) == ("anomalie", D("100.00"))


def test_results_are_blocking_first_then_in_definition_and_site_order():
    results = run("eaje_psu", {"heures_facturees": "40000", "enfants_aeeh": 50})
    severities = [r.severity for r in results]
    assert severities == sorted(severities, key=("blocking", "flagged").index)
    ids = [r.control_id for r in results]
    assert ids[:4] == ["champ_obligatoire", "valeur_invalide", "champ_obligatoire", "valeur_invalide"]
    assert ids.index("enfants_aeeh_accueillis") < ids.index("total_charges_positif") < ids.index("taux_facturation")
    assert results == run("eaje_psu", {"heures_facturees": "40000", "enfants_aeeh": 50})


def test_a_financial_form_not_requested_skips_its_controls_and_leaves_cross_checks_unevaluated():
    control_set = load_controls("eaje_psu")
    nature, activity, _, _ = BASELINES["eaje_psu"]
    results = run_controls(control_set, nature, "reelle", [(None, activity)], None, references={"prix_plafond": 9})
    assert not [r for r in results if r.form == "financier"]
    assert result_of(results, "participations_familiales_coherence").status == "non_evalue"
    assert result_of(results, "cout_unitaire").status == "non_evalue"


def test_natures_and_declaration_types_restrict_controls():
    control_set = load_controls("alsh")
    _, activity, financial, _ = BASELINES["alsh"]
    teens = {k: v for k, v in activity.items() if not k.startswith("mercredi")}
    ids = {r.control_id for r in run_controls(control_set, "adolescents", "previsionnelle", [(None, teens)], financial)}
    assert not {i for i in ids if i.startswith("mercredi") or i.startswith("ecart_previsionnel")}
    assert "total_charges_positif" not in ids  # a budget is not an actual
    extra = {r.control_id for r in run_controls(control_set, "extrascolaire", "reelle", [(None, activity)], financial)}
    assert "mercredi_heures_plafond" in extra and "mercredi_heures_nouvelles" not in extra


@pytest.mark.parametrize(
    ("nature", "declaration_type", "sites"),
    [
        ("creche_x", "reelle", [(None, {})]),
        ("multi_accueil", "annuelle", [(None, {})]),
        ("multi_accueil", "reelle", [("A", {}), ("A", {})]),
    ],
)
def test_bad_arguments_are_refused(nature, declaration_type, sites):
    with pytest.raises(ValueError):
        run_controls(load_controls("eaje_psu"), nature, declaration_type, sites, None)


def test_an_empty_draft_gives_results_never_a_crash():
    control_set = load_controls("eaje_psu")
    results = run_controls(control_set, "multi_accueil", "reelle", [(None, {})], {}, {}, {}, {})
    assert {r.status for r in results if r.severity == "flagged"} == {"non_evalue"}
    assert [r.field_ids for r in results if r.control_id == "champ_obligatoire" and r.form == "activite"] == [
        (f,)
        for f in (
            "places",
            "jours_ouverture",
            "heures_ouverture_jour",
            "heures_realisees",
            "heures_facturees",
            "participations_familiales",
            "part_regime_general",
            "couches_fournies",
            "repas_fournis",
        )
    ]
