"""The estimate's steps and parameters shown with their unit in agreement: « 1 place », « 4 places »."""

from __future__ import annotations

from decimal import Decimal

from afas_estimation.domain.explanation import french


def test_a_unit_agrees_with_its_figure():
    assert french(Decimal(1), "places") == "1\u00a0place"
    assert french(Decimal(4), "places") == "4\u00a0places"
    assert french(Decimal("1.5"), "h") == "1,5\u00a0h"
    assert french(Decimal("1500.5"), "€") == "1\u00a0500,50\u00a0€"
