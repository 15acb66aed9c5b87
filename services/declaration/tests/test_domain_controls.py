"""Every control of every family, at its threshold edge; then how results are built, ordered and worded."""

from __future__ import annotations

from decimal import Decimal

import pytest

from afas_declaration.domain.controls import available_families, load_controls, run_controls
from afas_declaration.domain.figures import declaration_figures

D = Decimal

# Charges 60-63 at 1 000 € and 64 at 96 000 €: a total of 100 000 € (``TOTAL``), funded by the Caf and the commune
TOTAL = D(100000)
FINANCIAL = {
    **{f"charges_6{n}": "1000" for n in range(4)},
    "charges_64": "96000",
    "charges_65": "0",
    **{key: "0" for key in ("produits_74_departement", "produits_74_autres", "produits_75")},
    "produits_74_caf": "50000",
    "produits_74_commune": "50000",
}
WITH_PRODUITS_70 = {**FINANCIAL, "produits_70": "0"}

# family -> (nature, activity values, financial values, reference prix plafond): every control passes on these
BASELINES = {
    "eaje_psu": (
        "multi_accueil",
        {
            **{"places": 20, "jours_ouverture": 200, "heures_ouverture_jour": 10},  # 40 000 h offered
            **{"heures_realisees": "30000", "heures_facturees": "31500"},  # 75 % occupancy, 105 % billed
            **{"enfants_accueillis": 40, "enfants_aeeh": 2, "participations_familiales": "50000"},
            **{"part_regime_general": "90", "couches_fournies": True, "repas_fournis": True},
        },
        {**FINANCIAL, "produits_70_participations_familiales": "50000", "produits_70_autres": "0"},
        "10",
    ),
    "alsh": (
        "periscolaire",
        {
            **{"jours_ouverture": 150, "heures_realisees": "50000", "heures_aeeh": "500", "part_regime_general": 90},
            **{"mercredi_journees_repas": 1000, "mercredi_demi_journees": 500},  # Wednesday ceiling 11 000 h
            **{"mercredi_heures": "10000", "mercredi_heures_nouvelles": "1000"},
        },
        WITH_PRODUITS_70,
        "4",
    ),
    "centre_social_acf": (
        "general",
        {"etp_referent_familles": "1", "charges_projet_familles": "50000"},
        WITH_PRODUITS_70,
        "30000",
    ),
    "centre_social_agc": (
        "general",
        {"etp_direction": "1", "charges_pilotage": "80000"},
        WITH_PRODUITS_70,
        "70000",
    ),
    "clas": (
        "general",
        {"annee_scolaire": "2025-2026", "groupes": 20, "enfants_accompagnes": 200},
        WITH_PRODUITS_70,
        "3000",
    ),
    "ctg": ("general", {"etp_charge_cooperation": "1"}, WITH_PRODUITS_70, "60000"),
    "espace_rencontre": (
        "general",
        {"heures_ouverture": "1000", "heures_organisation": "500", "familles_recues": 30},
        WITH_PRODUITS_70,
        "50",
    ),
    "laep": ("general", {"heures_ouverture": "1000", "heures_organisation": "500"}, WITH_PRODUITS_70, "50"),
    "mediation_familiale": (
        "general",
        {"etp_mediateurs": "2", "participations_familiales": "10000", "mesures_terminees": 50},
        {**FINANCIAL, "produits_70_participations_familiales": "10000", "produits_70_autres": "0"},
        "40000",
    ),
    "ps_jeunes": ("general", {"etp_animateurs": "2", "jeunes_touches": 100}, WITH_PRODUITS_70, "40000"),
    "rpe": (
        "general",
        {"etp_animateurs": "2", "missions_renforcees": False, "assistants_maternels": 100},
        WITH_PRODUITS_70,
        "40000",
    ),
}


def _run(family, overrides=None, declaration_type="reelle", sites=None):
    """Run ``family``'s controls on its baseline with ``overrides``, routed by the controls' naming convention.

    Previous and forecast figures are the baseline's own, so that every comparison is evaluated (and passes).
    """
    control_set = load_controls(family)
    nature, activity, financial, plafond = BASELINES[family]
    activity, financial = dict(activity), dict(financial)
    figures = declaration_figures(control_set.forms, nature, [activity], financial)
    outside = {"precedent_": dict(figures), "previsionnel_": dict(figures), "reference_": {"prix_plafond": plafond}}
    for name, value in (overrides or {}).items():
        prefix = next((p for p in outside if name.startswith(p)), None)
        if prefix is not None:
            outside[prefix][name.removeprefix(prefix)] = value
        elif name in control_set.forms.forms["activite"].fields:
            activity[name] = value
        else:
            financial[name] = value
    forms = sites if sites is not None else [(None, activity)]
    return run_controls(
        control_set,
        nature,
        declaration_type,
        forms,
        financial,
        previous=outside["precedent_"],
        forecast=outside["previsionnel_"],
        references=outside["reference_"],
    )


def _result(results, control_id):
    found = [r for r in results if r.control_id == control_id]
    assert len(found) == 1, found
    return found[0]


# How to set a family's main figure to a value: typed fields directly, totals through one of their inputs
SETTERS = {
    "total_charges": lambda v: {"charges_64": v - 4000},
    "heures_total": lambda v: {"heures_ouverture": v - 500},
}
MAIN = {
    "eaje_psu": ("heures_realisees", D(30000)),
    "alsh": ("heures_realisees", D(50000)),
    "centre_social_acf": ("etp_referent_familles", D(1)),
    "centre_social_agc": ("etp_direction", D(1)),
    "clas": ("groupes", D(20)),
    "ctg": ("etp_charge_cooperation", D(1)),
    "espace_rencontre": ("heures_total", D(1500)),
    "laep": ("heures_total", D(1500)),
    "mediation_familiale": ("etp_mediateurs", D(2)),
    "ps_jeunes": ("etp_animateurs", D(2)),
    "rpe": ("etp_animateurs", D(2)),
}


def _set(field, value):
    return SETTERS[field](value) if field in SETTERS else {field: value}


def _comparison_cases():
    """Variation (±15 %) and forecast gap (±10 %) of each main figure: at the edge, then 0.01 point beyond.

    The current figure is moved to base × (1 ± limit); the outside figure is then nudged by 0.01 % of itself,
    which moves the measure just past the edge (15.01 % instead of 15.00 %).
    """
    for family, (unit_field, unit_base) in MAIN.items():
        for field, base in ((unit_field, unit_base), ("total_charges", TOTAL)):
            for kind, prefix, limit in (
                ("variation", "precedent_", D("0.15")),
                ("ecart_previsionnel", "previsionnel_", D("0.10")),
            ):
                for sign, nudge in ((1, D("0.9999")), (-1, D("1.0001"))):
                    current = _set(field, base * (1 + sign * limit))
                    yield pytest.param(
                        family,
                        f"{kind}_{field}",
                        {**current, prefix + field: base},
                        {**current, prefix + field: base * nudge},
                        id=f"{family}-{kind}_{field}-{'up' if sign > 0 else 'down'}",
                    )


def _cost_cases():
    """Cost per unit against twice the ceiling: a ceiling at exactly half the cost passes, a cent less fails."""
    costs = {
        "eaje_psu": ("1.665", "1.66"),  # 100 000 € / 30 000 h = 3.33 €/h
        "alsh": ("1", "0.99"),  # 2.00 €/h
        "centre_social_acf": ("25000", "24999.99"),  # 50 000 € of projet familles / 1 ETP
        "centre_social_agc": ("40000", "39999.99"),  # 80 000 € of pilotage
        "clas": ("2500", "2499.99"),  # 5 000 € per group
        "ctg": ("50000", "49999.99"),
        "espace_rencontre": ("33.335", "33.33"),  # 66.67 €/h
        "laep": ("33.335", "33.33"),
        "mediation_familiale": ("25000", "24999.99"),  # 50 000 € per ETP
        "ps_jeunes": ("25000", "24999.99"),
        "rpe": ("25000", "24999.99"),
    }
    for family, (passing, failing) in costs.items():
        yield pytest.param(
            family,
            "cout_unitaire",
            {"reference_prix_plafond": passing},
            {"reference_prix_plafond": failing},
            id=f"{family}-cout_unitaire",
        )


def _common_cases():
    for family in BASELINES:
        yield pytest.param(
            family,
            "total_charges_positif",
            {**{f"charges_6{n}": "0" for n in range(5)}, "charges_60": "0.01"},
            {f"charges_6{n}": "0" for n in range(5)},
            id=f"{family}-total_charges_positif",
        )
        for side, (charges, produits) in {"up": ("1001", "1001.01"), "down": ("1001", "999.99")}.items():
            yield pytest.param(
                family,
                "contributions_volontaires",
                {"charges_86": charges, "produits_87": "1000"},
                {"charges_86": charges, "produits_87": produits}
                if side == "down"
                else {"charges_86": produits, "produits_87": "1000"},
                id=f"{family}-contributions_volontaires-{side}",
            )


SPECIFIC = [
    ("eaje_psu", "heures_realisees_capacite", {"heures_realisees": "46000"}, {"heures_realisees": "46000.01"}),
    ("eaje_psu", "enfants_aeeh_accueillis", {"enfants_aeeh": 40}, {"enfants_aeeh": 41}),
    (
        "eaje_psu",
        "participations_familiales_coherence",
        {"produits_70_participations_familiales": "50001"},
        {"produits_70_participations_familiales": "50001.01"},
    ),
    (
        "eaje_psu",
        "participations_familiales_coherence",
        {"produits_70_participations_familiales": "49999"},
        {"produits_70_participations_familiales": "49998.99"},
    ),
    ("eaje_psu", "taux_facturation", {"heures_facturees": "32100"}, {"heures_facturees": "32103"}),  # 107.00 / 107.01 %
    ("eaje_psu", "taux_occupation", {"heures_realisees": "40000"}, {"heures_realisees": "40004"}),  # 100.00 / 100.01 %
    ("eaje_psu", "taux_occupation", {"heures_realisees": "20000"}, {"heures_realisees": "19996"}),  # 50.00 / 49.99 %
    ("alsh", "heures_aeeh_realisees", {"heures_aeeh": "50000"}, {"heures_aeeh": "50000.01"}),
    (
        "alsh",
        "mercredi_heures_realisees",
        {"mercredi_heures": "50000", "mercredi_journees_repas": 6000},
        {"mercredi_heures": "50000.01", "mercredi_journees_repas": 6000},
    ),
    (
        "alsh",
        "mercredi_heures_nouvelles",
        {"mercredi_heures_nouvelles": "10000"},
        {"mercredi_heures_nouvelles": "10000.01"},
    ),
    ("alsh", "mercredi_heures_plafond", {"mercredi_heures": "11000"}, {"mercredi_heures": "11000.01"}),
    (
        "centre_social_acf",
        "charges_projet_familles_total",
        {"charges_projet_familles": "100000"},
        {"charges_projet_familles": "100000.01"},
    ),
    ("centre_social_agc", "charges_pilotage_total", {"charges_pilotage": "100000"}, {"charges_pilotage": "100000.01"}),
    ("clas", "enfants_par_groupe", {"enfants_accompagnes": 300}, {"enfants_accompagnes": 301}),  # 15.0 / 15.1 per group
    ("clas", "enfants_par_groupe", {"enfants_accompagnes": 100}, {"enfants_accompagnes": 98}),  # 5.0 / 4.9 per group
    ("espace_rencontre", "heures_ouverture_annee", {"heures_ouverture": "8784"}, {"heures_ouverture": "8784.01"}),
    ("laep", "heures_ouverture_annee", {"heures_ouverture": "8784"}, {"heures_ouverture": "8784.01"}),
    (
        "mediation_familiale",
        "participations_familiales_coherence",
        {"produits_70_participations_familiales": "10001"},
        {"produits_70_participations_familiales": "10001.01"},
    ),
]
CASES = [
    *(pytest.param(*case, id=f"{case[0]}-{case[1]}-{index}") for index, case in enumerate(SPECIFIC)),
    *_common_cases(),
    *_cost_cases(),
    *_comparison_cases(),
]


@pytest.mark.parametrize("family", sorted(BASELINES))
def test_the_baseline_passes_every_control(family):
    results = _run(family)
    assert {r.status for r in results} == {"ok"}, [r.message for r in results if r.status != "ok"]


def test_every_control_of_every_family_is_tested_at_its_edge():
    tested = {(p.values[0], p.values[1]) for p in CASES}
    defined = {(f, c.id) for f in available_families() for c in load_controls(f).controls}
    assert defined - tested == set()
    assert set(BASELINES) == set(available_families())


@pytest.mark.parametrize(("family", "control_id", "passing", "failing"), CASES)
def test_control_passes_at_its_edge_and_fails_just_beyond(family, control_id, passing, failing):
    ok = _result(_run(family, passing), control_id)
    assert ok.status == "ok", ok.message
    flagged = _result(_run(family, failing), control_id)
    assert flagged.status == "anomalie", flagged.message
    assert flagged.threshold is not None and flagged.measured is not None


NBSP = "\u00a0"


def test_a_flagged_anomaly_states_the_measure_and_the_threshold_in_french():
    result = _result(_run("eaje_psu", {"heures_facturees": "32103"}), "taux_facturation")
    assert (result.severity, result.status, result.form, result.site) == ("flagged", "anomalie", "activite", None)
    assert (result.measured, result.threshold, result.unit) == (D("107.01"), D(107), "%")
    assert result.field_ids == ("taux_facturation",)
    expected = "Taux de facturation : 107,01 % mesuré (32 103 h facturées / 30 000 h réalisées), seuil 107 %."
    assert result.message.replace(NBSP, " ") == expected
    # No-break spaces keep a figure whole: between thousands and before the unit
    assert f"32{NBSP}103{NBSP}h" in result.message and f"107{NBSP}%" in result.message


def test_a_computed_threshold_is_quoted_at_the_measure_precision():
    result = _result(_run("eaje_psu", {"reference_prix_plafond": "1.66"}), "cout_unitaire")
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
    result = _result(_run("eaje_psu", {"precedent_heures_realisees": unusable}), "variation_heures_realisees")
    assert result.status == "non_evalue"


def test_a_ratio_over_zero_is_not_evaluated_and_says_why():
    results = _run("eaje_psu", {"heures_realisees": "0", "precedent_heures_realisees": "0"})
    assert _result(results, "taux_facturation").message == (
        "Taux de facturation : non évalué, calcul impossible (division par zéro)."
    )
    assert _result(results, "variation_heures_realisees").status == "non_evalue"
    assert _result(results, "cout_unitaire").status == "non_evalue"


def test_a_ratio_of_an_empty_field_names_the_missing_input_not_the_ratio():
    results = _run("eaje_psu", {"places": None})
    occupancy = _result(results, "taux_occupation")
    assert occupancy.status == "non_evalue"
    assert occupancy.message.endswith("donnée manquante : « Nombre de places agréées ».")


def test_empty_optional_amounts_count_as_zero_where_the_control_says_so():
    result = _result(_run("eaje_psu", {"charges_86": "500"}), "contributions_volontaires")
    assert (result.status, result.measured) == ("anomalie", D("500.00"))
    assert "compte 87 : 0,00" in result.message


def test_required_fields_and_invalid_values_are_blocking_one_result_per_field_naming_form_and_site():
    _, activity, _, _ = BASELINES["eaje_psu"]
    lutins = {**activity, "heures_realisees": "", "places": None}
    mesanges = {**activity, "heures_facturees": "-5"}
    results = _run("eaje_psu", {"charges_64": "abc"}, sites=[("Les Lutins", lutins), ("Les Mésanges", mesanges)])
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
    results = _run("alsh", {"total_charges": "5", "charges_99": "1"})
    messages = [r.message for r in results if r.control_id == "valeur_invalide" and r.status == "anomalie"]
    assert messages == [
        "Compte de résultat : « Total des charges » : ce champ est calculé, il ne se saisit pas.",
        "Compte de résultat : « charges_99 » : ce champ n'existe pas dans ce formulaire.",
    ]


def test_per_site_controls_run_once_per_site_and_declaration_controls_once():
    _, activity, _, _ = BASELINES["eaje_psu"]
    sites = [("A", activity), ("B", {**activity, "heures_facturees": "33000"})]
    results = _run("eaje_psu", sites=sites)
    billing = [(r.site, r.status) for r in results if r.control_id == "taux_facturation"]
    assert billing == [("A", "ok"), ("B", "anomalie")]
    assert [r.site for r in results if r.control_id == "cout_unitaire"] == [None]
    # The declaration sums both sites: 60 000 h against the 30 000 h of the previous declaration
    variation = _result(results, "variation_heures_realisees")
    assert (variation.status, variation.measured) == ("anomalie", D("100.00"))


def test_results_are_blocking_first_then_in_definition_and_site_order():
    results = _run("eaje_psu", {"heures_facturees": "40000", "enfants_aeeh": 50})
    severities = [r.severity for r in results]
    assert severities == sorted(severities, key=("blocking", "flagged").index)
    ids = [r.control_id for r in results]
    assert ids[:4] == ["champ_obligatoire", "valeur_invalide", "champ_obligatoire", "valeur_invalide"]
    assert ids.index("enfants_aeeh_accueillis") < ids.index("total_charges_positif") < ids.index("taux_facturation")
    assert results == _run("eaje_psu", {"heures_facturees": "40000", "enfants_aeeh": 50})


def test_a_financial_form_not_requested_skips_its_controls_and_leaves_cross_checks_unevaluated():
    control_set = load_controls("eaje_psu")
    nature, activity, _, _ = BASELINES["eaje_psu"]
    results = run_controls(control_set, nature, "reelle", [(None, activity)], None, references={"prix_plafond": 9})
    assert not [r for r in results if r.form == "financier"]
    assert _result(results, "participations_familiales_coherence").status == "non_evalue"
    assert _result(results, "cout_unitaire").status == "non_evalue"


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
