"""Shared by the control tests: a complete declaration per family that passes every control, and how to run
the controls on it with some values changed."""

from __future__ import annotations

from decimal import Decimal

from afas_declaration.domain.controls import load_controls, run_controls
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


def run(family, overrides=None, declaration_type="reelle", sites=None):
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


def result_of(results, control_id):
    found = [r for r in results if r.control_id == control_id]
    assert len(found) == 1, found
    return found[0]


# How to set a family's main figure to a value: typed fields directly, totals through one of their inputs
