"""Justifications of flagged anomalies: text and figure checked, attached to results by a stable key."""

from __future__ import annotations

from decimal import Decimal

import pytest

from afas_declaration.domain.controls import (
    ControlResult,
    Justification,
    check_justification,
    control_key,
    load_controls,
    run_controls,
    unjustified,
)

TEXT = "Fermeture de six semaines pour travaux"


@pytest.mark.parametrize(
    ("text", "amount", "error"),
    [
        (TEXT, Decimal("1200.50"), None),
        (TEXT, "1 200,50", None),
        (TEXT, -300, None),
        (TEXT, None, "Indiquez le montant ou la quantité qui explique l'écart."),
        (TEXT, "  ", "Indiquez le montant ou la quantité qui explique l'écart."),
        (TEXT, "beaucoup", "« Montant ou quantité » : saisissez un nombre (par exemple 1234,50)."),
        (TEXT, "1,234", "« Montant ou quantité » : 2 décimales au plus."),
        (None, 10, "Expliquez l'écart par un texte d'au moins 20 lettres ou chiffres."),
        ("travaux", 10, "Expliquez l'écart par un texte d'au moins 20 lettres ou chiffres."),
        (
            "............................ . . . . .",
            10,
            "Expliquez l'écart par un texte d'au moins 20 lettres ou chiffres.",
        ),
        (
            "a b c d e f g h i j k l m n o p q r s",
            10,
            "Expliquez l'écart par un texte d'au moins 20 lettres ou chiffres.",
        ),
        ("a b c d e f g h i j k l m n o p q r s t", 10, None),
        (None, None, "Indiquez le montant ou la quantité qui explique l'écart."),  # the figure is asked first
    ],
)
def test_check_justification(text, amount, error):
    assert check_justification(text, amount) == error


def _result(control_id, severity="flagged", status="anomalie", site=None, form="activite", field_ids=()):
    return ControlResult(control_id, severity, status, form, site, "Libellé", "Message", field_ids=field_ids)


def test_control_key_names_control_site_and_for_derived_controls_form_and_field():
    assert control_key(_result("taux_facturation")) == "taux_facturation"
    assert control_key(_result("taux_facturation", site="Les Lutins")) == "taux_facturation@Les Lutins"
    derived = _result("champ_obligatoire", "blocking", site="Les Lutins", field_ids=("places",))
    assert control_key(derived) == "champ_obligatoire@Les Lutins:activite.places"
    assert control_key(_result("valeur_invalide", "blocking", "ok", form="financier")) == "valeur_invalide:financier"


def test_control_keys_are_unique_within_a_run():
    activity = {"places": 10, "heures_realisees": "-1"}
    results = run_controls(load_controls("eaje_psu"), "multi_accueil", "reelle", [("A", activity), ("B", {})], {})
    keys = [control_key(r) for r in results]
    assert len(keys) == len(set(keys))


def test_unjustified_lists_flagged_anomalies_without_an_acceptable_justification():
    billing_a = _result("taux_facturation", site="A")
    billing_b = _result("taux_facturation", site="B")
    occupancy = _result("taux_occupation", site="A")
    results = [
        _result("champ_obligatoire", "blocking", field_ids=("places",)),  # blocking: corrected, never justified
        _result("variation_total_charges", status="ok", form=None),
        _result("cout_unitaire", status="non_evalue", form=None),
        billing_a,
        billing_b,
        occupancy,
    ]
    justifications = {
        "taux_facturation@A": Justification(TEXT, Decimal(300)),
        "taux_facturation@B": {"texte": "trop court", "montant": "12"},
        "taux_occupation@A": {"text": TEXT, "amount": "4 000"},
    }
    assert unjustified(results, justifications) == [billing_b]
    assert unjustified(results, {}) == [billing_a, billing_b, occupancy]
