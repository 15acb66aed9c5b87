"""The pages' one mapping of codes to labels, read from the form definitions: families, natures, field ids."""

from __future__ import annotations

from afas_declaration.gateway.web import figures, labels

MISSING = "Données manquantes pour l'estimation : heures_realisees, part_regime_general."


def test_families_and_natures_read_as_their_labels():
    assert labels.family_label("eaje_psu") == "EAJE - PSU" and labels.family_label("alsh") == "ALSH"
    assert labels.nature_label("multi_accueil", "eaje_psu") == "Multi-accueil"
    assert labels.nature_label("periscolaire") == "ALSH périscolaire"
    assert labels.nature_label("general", "rpe") == "Relais petite enfance"  # a family without sub-natures
    assert "general" not in labels.nature_labels()["general"] and labels.nature_label(None) == "—"


def test_the_nature_filter_finds_a_nature_by_its_label_accents_and_case_aside():
    assert labels.nature_code("périscolaire") == "periscolaire"
    assert labels.nature_code("PERISCOLAIRE") == "periscolaire"
    assert labels.nature_code("Multi accueil") == "multi_accueil"
    assert labels.nature_code("multi_accueil") == "multi_accueil"
    assert labels.nature_code("ALSH") == "ALSH"  # several natures: kept as typed, so nothing matches silently
    assert labels.nature_code("") is None


def test_messages_name_fields_by_their_labels_and_keep_no_bracketed_code():
    shown = labels.with_field_labels(MISSING, "alsh")
    assert "heures_realisees" not in shown and "part_regime_general" not in shown
    assert (
        "« Heures réalisées (heures-enfants) »" in shown and "« Part des usagers relevant du régime général »" in shown
    )
    assert "heures_realisees" not in labels.with_field_labels(MISSING)  # family unknown: any family's label
    assert labels.without_codes("Prix plafond horaire (prix_plafond_horaire) à confirmer") == (
        "Prix plafond horaire à confirmer"
    )


def test_a_computed_figure_none_of_whose_inputs_is_typed_is_not_a_zero():
    inputs = figures.typed_inputs("resultat")  # produits − charges: every charge and product line, typed ones only
    assert "charges_60" in inputs and "total_charges" not in inputs and "resultat" not in inputs
    assert not figures.computable("resultat", {"resultat": "0", "total_charges": "0"})
    assert figures.computable("resultat", {"charges_60": "1200"})
    assert figures.typed_inputs("places") == () and figures.computable("places", {})
