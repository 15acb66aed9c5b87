"""A family's rule: the figures it needs, the checks it adds, the date its barème is read at, its formula."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction

from afas_estimation.domain.inputs import Figures
from afas_estimation.domain.rules.computation import Computation

Problems = list[tuple[str, str]]


def start_of_exercice(exercice: int, figures: Figures) -> date:
    """Barèmes are annual: the values in force on 1 January of the exercice apply to the whole of it."""
    return date(exercice, 1, 1)


def no_check(figures: Figures) -> tuple[list[str], Problems]:
    return [], []


@dataclass(frozen=True)
class Rule:
    family: str
    required: tuple[str, ...]
    compute: Callable[[Computation], Fraction]
    positive: tuple[str, ...] = ()  # divisors: zero would make the formula meaningless
    check: Callable[[Figures], tuple[list[str], Problems]] = no_check  # conditional missing, cross-field limits
    period_start: Callable[[int, Figures], date] = start_of_exercice

    def validate(self, figures: Figures) -> tuple[list[str], Problems]:
        missing = [f for f in self.required if f not in figures]
        problems = [(f, "doit être strictement positif.") for f in self.positive if figures.get(f) == 0]
        more_missing, more_problems = self.check(figures)
        return missing + [f for f in more_missing if f not in missing], problems + more_problems


def exceeds(figures: Figures, part: str, whole: str, reason: str) -> Problems:
    """``part`` cannot be larger than ``whole`` (e.g. Wednesday hours within all hours)."""
    a, b = figures.get(part), figures.get(whole)
    if isinstance(a, Decimal) and isinstance(b, Decimal) and a > b:
        return [(part, reason)]
    return []
