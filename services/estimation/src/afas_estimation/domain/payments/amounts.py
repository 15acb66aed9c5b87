"""The arithmetic the schedule writes and compares: euros in French, percentages, and the forecast/actual gap."""

from __future__ import annotations

from decimal import Decimal

from afas_estimation.domain.payments.model import cents


def euros(amount: Decimal) -> str:
    """``Decimal("-12345.6")`` → ``"-12 345,60 €"``."""
    text = f"{cents(amount):,.2f}".replace(",", " ").replace(".", ",")
    return f"{text} €"


def pct(percent: Decimal) -> str:
    text = f"{percent.normalize():f}".replace(".", ",")
    return f"{text} %"


def gap_exceeds(forecast: Decimal | None, actual: Decimal, threshold: Decimal) -> bool:
    """Whether ``|actual − forecast| / forecast`` is strictly above ``threshold`` (False if no forecast)."""
    if forecast is None:
        return False
    if forecast == 0:
        return actual != 0
    return abs(actual - forecast) / forecast > threshold


def forecast_gap(forecast: Decimal | None, actual: Decimal) -> Decimal | None:
    """``|actual − forecast| / forecast`` to 4 places (0.1234 = 12.34 %); None without a non-zero forecast."""
    if forecast is None or forecast == 0:
        return None
    return (abs(actual - forecast) / forecast).quantize(Decimal("0.0001"))
