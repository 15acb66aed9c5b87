"""What a rule computes with: the checked figures, the barème on a date, and the record of every step.

A rule reads figures and parameters only through this object, so the explanation (inputs used, parameters
with their date and provenance, intermediate figures, bonuses) is complete by construction.

Arithmetic is exact: figures and parameters are read as rationals (``Fraction``), so a division is never an
approximation and nothing is rounded before the one rounding of the final amount (``result.to_cents``). The
steps shown keep a decimal rendering of each intermediate figure, for display only.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, localcontext
from fractions import Fraction

from afas_estimation.domain.errors import UnknownPeriod
from afas_estimation.domain.inputs import Figures
from afas_estimation.domain.parameters.model import FamilyParameters, Resolved, Value
from afas_estimation.domain.result import Step

ZERO = Fraction(0)
ONE = Fraction(1)
HUNDRED = Fraction(100)
# Before the first known value of a yearly-revalued parameter, exercices from this date on apply the earliest
# known value, flagged provisional (the rule existed, only that year's figure is missing); earlier ones are refused.
BACKFILL_FROM = date(2019, 1, 1)

Number = Fraction


def display(value: Fraction | Decimal) -> Decimal:
    """A decimal rendering of an exact figure for the explanation (40 significant digits; never computed with)."""
    if isinstance(value, Decimal):
        return value
    if value.denominator == 1:
        return Decimal(value.numerator)
    with localcontext() as ctx:
        ctx.prec = 40
        return Decimal(value.numerator) / Decimal(value.denominator)


class Computation:
    def __init__(self, bareme: FamilyParameters, nature: str, on: date, figures: Figures) -> None:
        self.bareme = bareme
        self.nature = nature
        self.on = on
        self._figures = figures
        self.steps: list[Step] = []
        self.used: dict[str, Resolved] = {}
        self.inputs: Figures = {}

    # --- inputs -----------------------------------------------------------------------------------

    def has(self, field: str) -> bool:
        return field in self._figures

    def number(self, field: str) -> Fraction:
        value = self._figures[field]
        assert isinstance(value, Decimal), field
        self.inputs[field] = value
        return Fraction(value)

    def optional(self, field: str) -> Fraction | None:
        return self.number(field) if self.has(field) else None

    def flag(self, field: str) -> bool:
        value = self._figures[field]
        assert isinstance(value, bool), field
        self.inputs[field] = value
        return value

    def text(self, field: str) -> str:
        value = str(self._figures[field])
        self.inputs[field] = value
        return value

    def share(self, field: str) -> Fraction:
        """A percentage figure (``85`` for 85 %) as a ratio."""
        return self.number(field) / HUNDRED

    # --- parameters -------------------------------------------------------------------------------

    def param(self, name: str) -> Value:
        parameter = self.bareme.parameters.get(name)
        if parameter is None:
            raise KeyError(f"{self.bareme.family}: parameter {name!r} is missing from its barème file")
        resolved = parameter.at(self.on, self.nature)
        if resolved is None and parameter.annual and self.on >= BACKFILL_FROM:
            resolved = parameter.earliest(self.nature)
        if resolved is None:
            first = parameter.first_date(self.nature).strftime("%d/%m/%Y")
            raise UnknownPeriod(
                f"Période non couverte : le paramètre « {parameter.label} » n'est connu qu'à partir du {first} ; "
                f"aucune estimation n'est possible pour une période commençant le {self.on.strftime('%d/%m/%Y')}.",
                "exercice",
            )
        self.used[name] = resolved
        return resolved.value

    def amount(self, name: str) -> Fraction:
        value = self.param(name)
        assert isinstance(value, Decimal), name
        return Fraction(value)

    def available(self, name: str) -> bool:
        """Whether ``name`` has a value on the computation date (a bonus created after the exercice has none)."""
        parameter = self.bareme.parameters.get(name)
        if parameter is None:
            return False
        return parameter.at(self.on, self.nature) is not None or (parameter.annual and self.on >= BACKFILL_FROM)

    # --- explanation ------------------------------------------------------------------------------

    def step(self, label: str, value: Fraction, unit: str = "", formula: str = "") -> Fraction:
        self.steps.append(Step(label, display(value), unit, formula))
        return value

    def note(self, label: str, text: str) -> None:
        self.steps.append(Step(label, text))

    def bonus(self, label: str, value: Fraction, formula: str = "") -> Fraction:
        self.steps.append(Step(label, display(value), "€", formula, bonus=True))
        return value
