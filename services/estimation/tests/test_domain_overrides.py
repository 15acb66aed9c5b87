"""Caf changes layered over the barème files: same date replaces, new date adds, a nature gets its own series."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from afas_estimation.domain.estimate import estimate
from afas_estimation.domain.parameters.loader import load_family
from afas_estimation.domain.parameters.overrides import (
    InvalidParameter,
    Override,
    apply_overrides,
    check_start,
    check_target,
    fingerprint,
    read_value,
)

ALSH = {"heures_realisees": "10000", "total_charges": "30000", "part_regime_general": "100"}


def test_an_override_on_a_file_date_replaces_the_value_and_a_new_date_adds_one():
    base = load_family("alsh")
    changed = apply_overrides(
        base,
        [
            Override("prix_plafond_horaire", None, date(2025, 1, 1), Decimal("2.10"), "Circulaire de test 2025"),
            Override("prix_plafond_horaire", None, date(2026, 1, 1), Decimal("2.20"), "Circulaire de test 2026"),
        ],
    )
    values = {v.start: v.value for v in changed.parameters["prix_plafond_horaire"].values}
    assert values[date(2025, 1, 1)] == Decimal("2.10") and values[date(2026, 1, 1)] == Decimal("2.20")
    assert values[date(2024, 1, 1)] == Decimal("1.99")  # untouched
    assert load_family("alsh").parameters["prix_plafond_horaire"].values[-1].value == Decimal("2.05")  # file intact
    resolved = changed.parameters["prix_plafond_horaire"].at(date(2026, 1, 1), "periscolaire")
    assert resolved.reference == "Circulaire de test 2026" and resolved.provisional is False
    # 0.30 × min(3.00, 2.20) × 10000 h
    assert estimate("alsh", "periscolaire", 2026, ALSH, bareme=changed).amount == Decimal("6600.00")
    assert estimate("alsh", "periscolaire", 2026, ALSH).amount == Decimal("6150.00")


def test_a_nature_override_starts_from_the_overridden_default_series():
    base = load_family("alsh")
    changed = apply_overrides(
        base,
        [
            Override("taux_ps", "adolescents", date(2026, 1, 1), Decimal("0.40"), "Délibération de test"),
            Override("taux_ps", None, date(2020, 1, 1), Decimal("0.35"), "Circulaire de test"),
        ],
    )
    taux = changed.parameters["taux_ps"]
    assert taux.at(date(2026, 6, 1), "adolescents").value == Decimal("0.40")
    assert taux.at(date(2021, 1, 1), "adolescents").value == Decimal("0.35")  # default override kept for the nature
    assert taux.at(date(2026, 6, 1), "periscolaire").value == Decimal("0.35")
    assert fingerprint(changed) != fingerprint(base) and fingerprint(base) == fingerprint(load_family("alsh"))


def test_values_and_targets_are_checked_in_french():
    bareme = load_family("eaje_psu")
    taux = bareme.parameters["taux_ps"]
    assert read_value(taux, "0,67") == Decimal("0.67")
    assert read_value(bareme.parameters["bareme_degressif"], "oui") is True
    cases = [
        (lambda: read_value(taux, "66"), "fraction"),
        (lambda: read_value(taux, "abc"), "n'est pas un nombre"),
        (lambda: read_value(taux, "-0.1"), "négatif"),
        (lambda: read_value(taux, ""), "nouvelle valeur"),
        (lambda: read_value(bareme.parameters["bareme_degressif"], "peut-être"), "oui ou non"),
        (lambda: check_target(bareme, "taux_magique", None), "Paramètre inconnu"),
        (lambda: check_target(bareme, "taux_ps", "garderie_lunaire"), "Nature inconnue"),
        (lambda: check_start(date(1999, 12, 31)), "hors des périodes"),
    ]
    for call, words in cases:
        with pytest.raises(InvalidParameter) as refused:
            call()
        assert words in refused.value.message
