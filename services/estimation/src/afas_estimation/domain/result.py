"""An explained estimate: the amount and every step that led to it, ready to be shown in French."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from afas_estimation.domain.parameters.model import Resolved, Value

CENT = Decimal("0.01")
ROUNDING = (
    "Montant arrondi au centime le plus proche (un demi-centime est arrondi au centime supérieur), "
    "une seule fois, sur le montant final ; les calculs intermédiaires ne sont pas arrondis."
)


def to_cents(amount: Decimal | Fraction) -> Decimal:
    """The one rounding of an estimate: half up (away from zero) to the cent, on the exact final amount only."""
    if isinstance(amount, Decimal):
        return amount.quantize(CENT, rounding=ROUND_HALF_UP)
    cents = abs(amount) * 100
    whole = math.floor(cents + Fraction(1, 2))
    return (Decimal(whole if amount >= 0 else -whole) / 100).quantize(CENT)


@dataclass(frozen=True)
class Step:
    label: str
    value: Value | str
    unit: str = ""
    formula: str = ""
    bonus: bool = False


@dataclass(frozen=True)
class Estimate:
    family: str
    nature: str
    exercice: int
    amount: Decimal  # already rounded to the cent
    steps: tuple[Step, ...]
    parameters: tuple[Resolved, ...]
    inputs: dict[str, Value | str]

    @property
    def provisional(self) -> bool:
        return any(p.provisional for p in self.parameters)

    @property
    def missing_parameters(self) -> list[str]:
        """Parameters whose value for the exercice is not known yet (the latest known value was applied)."""
        return [p.name for p in self.parameters if p.provisional]

    @property
    def uncomputed_parts(self) -> list[str]:
        """Parts of the rule left out for want of figures: the amount is then a *partial* estimate."""
        return [s.label for s in self.steps if isinstance(s.value, str) and s.value.startswith("non calculé")]

    @property
    def unsourced_parameters(self) -> list[str]:
        return [p.name for p in self.parameters if not p.sourced]
