"""The gap justification box: offered on a validation only where estimation reads the agent's acceptance."""

from __future__ import annotations

import pytest

from afas_declaration.domain.gap_justification import UNKNOWN, gap_justification_label


def test_a_real_declaration_offers_the_gap_of_its_exercice_under_either_comparison():
    for compared in ("previsionnel_reel_exercice", "previsionnel_n_reel_n_1"):
        label = gap_justification_label("reelle", compared, "10")
        assert label == "J'accepte la justification d'un écart de plus de 10 % entre le prévisionnel et ce réel"


def test_a_forecast_offers_it_only_when_the_cap_compares_it_with_the_previous_actual():
    assert gap_justification_label("previsionnelle", "previsionnel_n_reel_n_1", "10") == (
        "J'accepte la justification d'un écart de plus de 10 % entre ce prévisionnel et le réel de l'exercice précédent"
    )
    assert gap_justification_label("previsionnelle", "previsionnel_reel_exercice", "10") is None


@pytest.mark.parametrize("declaration_type", ["actualisee_juin", "actualisee_septembre"])
def test_an_update_never_offers_it(declaration_type):
    for compared in ("previsionnel_reel_exercice", "previsionnel_n_reel_n_1"):
        assert gap_justification_label(declaration_type, compared, "10") is None


@pytest.mark.parametrize("declaration_type", ["previsionnelle", "reelle"])
def test_a_policy_without_a_cap_offers_it_nowhere(declaration_type):
    assert gap_justification_label(declaration_type, None, "") is None


def test_without_the_policy_a_forecast_and_a_real_declaration_offer_it_without_a_threshold():
    assert gap_justification_label("reelle", UNKNOWN, "") == (
        "J'accepte la justification d'un écart entre le prévisionnel et ce réel"
    )
    assert gap_justification_label("previsionnelle", UNKNOWN, "") == (
        "J'accepte la justification d'un écart entre ce prévisionnel et le réel de l'exercice précédent"
    )
    assert gap_justification_label("actualisee_juin", UNKNOWN, "") is None
