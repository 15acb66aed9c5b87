"""What a rule computes with: the checked figures, the barème on a date, and the record of every step.

A rule reads figures and parameters only through this object, so the explanation (inputs used, parameters
with their date and provenance, intermediate figures, bonuses) is complete by construction.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from afas_estimation.domain.errors import UnknownPeriod
from afas_estimation.domain.inputs import Figures
from afas_estimation.domain.parameters.model import FamilyParameters, Resolved, Value
from afas_estimation.domain.result import Step

ZERO = Decimal(0)
HUNDRED = Decimal(100)


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

    def number(self, field: str) -> Decimal:
        value = self._figures[field]
        assert isinstance(value, Decimal), field
        self.inputs[field] = value
        return value

    def optional(self, field: str) -> Decimal | None:
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

    def share(self, field: str) -> Decimal:
        """A percentage figure (``85`` for 85 %) as a ratio."""
        return self.number(field) / HUNDRED

    # --- parameters -------------------------------------------------------------------------------

    def param(self, name: str) -> Value:
        parameter = self.bareme.parameters.get(name)
        if parameter is None:
            raise KeyError(f"{self.bareme.family}: parameter {name!r} is missing from its barème file")
        resolved = parameter.at(self.on, self.nature)
        if resolved is None:
            first = parameter.first_date(self.nature).strftime("%d/%m/%Y")
            raise UnknownPeriod(
                f"Période non couverte : le paramètre « {parameter.label} » n'est connu qu'à partir du {first} ; "
                f"aucune estimation n'est possible pour une période commençant le {self.on.strftime('%d/%m/%Y')}.",
                "exercice",
            )
        self.used[name] = resolved
        return resolved.value

    def amount(self, name: str) -> Decimal:
        value = self.param(name)
        assert isinstance(value, Decimal), name
        return value

    # --- explanation ------------------------------------------------------------------------------

    def step(self, label: str, value: Decimal, unit: str = "", formula: str = "") -> Decimal:
        self.steps.append(Step(label, value, unit, formula))
        return value

    def note(self, label: str, text: str) -> None:
        self.steps.append(Step(label, text))

    def bonus(self, label: str, value: Decimal, formula: str = "") -> Decimal:
        self.steps.append(Step(label, value, "€", formula, bonus=True))
        return value
