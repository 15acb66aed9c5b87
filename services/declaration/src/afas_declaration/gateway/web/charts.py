"""Bar charts drawn as SVG on the server: no chart library, no script, readable without colour (each bar is
labelled with its value) and always paired with a data table in the page."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from afas_declaration.gateway.web.pages import french_number

WIDTH, HEIGHT, TOP, BOTTOM, LEFT = 560, 220, 24, 40, 8


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    series: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    bars: list[Bar]
    groups: list[tuple[float, str]]  # x of each group's label, the label
    legend: list[str]


def grouped_bars(groups: list[str], series: list[str], values: list[list[Decimal | None]], unit: str = "") -> Chart:
    """``values[g][s]``: the value of series ``s`` in group ``g`` (None draws nothing)."""
    known = [v for row in values for v in row if v is not None]
    top = max(known, default=Decimal(1)) or Decimal(1)
    plot = HEIGHT - TOP - BOTTOM
    group_width = (WIDTH - LEFT) / max(len(groups), 1)
    bar_width = group_width * 0.8 / max(len(series), 1)
    bars, labels = [], []
    for g, name in enumerate(groups):
        start = LEFT + g * group_width + group_width * 0.1
        labels.append((start + group_width * 0.4, name))
        for s, value in enumerate(values[g]):
            if value is None:
                continue
            height = float(value / top) * plot if top > 0 else 0.0
            text = f"{french_number(value)}{' ' + unit if unit else ''}"
            bars.append(Bar(start + s * bar_width, TOP + plot - height, bar_width * 0.92, height, text, s))
    return Chart(WIDTH, HEIGHT, bars, labels, series)
