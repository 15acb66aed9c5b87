"""Numbers as a French reader expects them in control messages: « 12 500,50 € », « 112,40 % », « 1 place ».

Thousands are grouped with a no-break space (U+00A0) and the unit follows a no-break space, so that a figure
is never split across lines; U+00A0 rather than the typographic thin space because it is in Latin-1, which the
PDF core fonts render.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from afas_shared.french_plural import unit_for

NBSP = "\u00a0"


def quantized(value: Decimal, decimals: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def french_number(value: Decimal, unit: str | None = None, decimals: int | None = None) -> str:
    """``value`` in French notation, rounded to ``decimals`` if given, else with the digits it carries."""
    if decimals is not None:
        value = quantized(value, decimals)
    if value == 0:
        value = abs(value)  # no "-0,00"
    sign = "-" if value < 0 else ""
    whole, _, fraction = format(abs(value), "f").partition(".")
    groups: list[str] = []
    while len(whole) > 3:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    groups.insert(0, whole)
    text = sign + NBSP.join(groups) + ("," + fraction if fraction else "")
    return f"{text}{NBSP}{unit_for(value, unit)}" if unit else text  # « 1 place », « 40 places »
