"""Every control of every family, at its threshold edge: passing exactly at it, failing just beyond."""

from __future__ import annotations

import pytest

from afas_declaration.domain.controls import available_families, load_controls
from services.declaration.tests.controls_cases import BASELINES, TOTAL, D, result_of, run

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
    results = run(family)
    assert {r.status for r in results} == {"ok"}, [r.message for r in results if r.status != "ok"]


def test_every_control_of_every_family_is_tested_at_its_edge():
    tested = {(p.values[0], p.values[1]) for p in CASES}
    defined = {(f, c.id) for f in available_families() for c in load_controls(f).controls}
    assert defined - tested == set()
    assert set(BASELINES) == set(available_families())


@pytest.mark.parametrize(("family", "control_id", "passing", "failing"), CASES)
def test_control_passes_at_its_edge_and_fails_just_beyond(family, control_id, passing, failing):
    ok = result_of(run(family, passing), control_id)
    assert ok.status == "ok", ok.message
    flagged = result_of(run(family, failing), control_id)
    assert flagged.status == "anomalie", flagged.message
    assert flagged.threshold is not None and flagged.measured is not None
