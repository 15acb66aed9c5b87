"""French plural agreement: one rule (below two, the singular) for counts, words and units."""

from __future__ import annotations

from decimal import Decimal

import pytest

from afas_shared.french_plural import counted, plural, takes_plural, unit_for


@pytest.mark.parametrize(
    ("count", "expected"),
    [(0, False), (1, False), (Decimal("1.5"), False), ("1,99", False), (-1, False), (2, True), ("12\u00a0500", True)],
)
def test_below_two_is_singular(count, expected):
    assert takes_plural(count) is expected


def test_words_agree_with_their_count():
    assert counted(1, "seconde") == "1 seconde" and counted(4, "seconde") == "4 secondes"
    assert plural(2, "anomalie bloquante", "anomalies bloquantes") == "anomalies bloquantes"
    assert plural(1, "anomalie bloquante", "anomalies bloquantes") == "anomalie bloquante"


@pytest.mark.parametrize(
    ("count", "unit", "expected"),
    [
        (1, "places", "place"),
        (40, "places", "places"),
        ("1", "demi-journées", "demi-journée"),
        (1, "journées", "journée"),
        (1, "enfants par groupe", "enfant par groupe"),
        (1, "mois", "mois"),
        (1, "h", "h"),
        (1, "€", "€"),
        (1, "ETP", "ETP"),
        (1, "€/ETP", "€/ETP"),
        (Decimal("0.5"), "%", "%"),
        (1, None, ""),
    ],
)
def test_units_written_in_the_plural_agree_with_their_figure(count, unit, expected):
    assert unit_for(count, unit) == expected
