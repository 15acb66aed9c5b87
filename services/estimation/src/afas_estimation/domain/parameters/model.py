"""Barèmes as dated data: a parameter's value applies from its date until the next one.

Each value carries its provenance (document and date, or "non sourcé — à confirmer par la Caf"). A parameter
marked ``annual`` is revalued every year: asked for a year after its latest value, it answers that latest value
flagged *provisional*, so an estimate is never blocked nor shown as zero for want of a new barème.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

UNSOURCED = "non sourcé"

Value = Decimal | bool


@dataclass(frozen=True)
class DatedValue:
    start: date
    value: Value
    reference: str

    @property
    def sourced(self) -> bool:
        return not self.reference.lower().startswith(UNSOURCED)


@dataclass(frozen=True)
class Resolved:
    """The value of a parameter on a date, with what an explanation needs to show it."""

    name: str
    label: str
    unit: str
    value: Value
    since: date
    reference: str
    sourced: bool
    provisional: bool


@dataclass(frozen=True)
class Parameter:
    name: str
    label: str
    unit: str
    annual: bool
    values: tuple[DatedValue, ...]  # oldest first
    by_nature: dict[str, tuple[DatedValue, ...]] = field(default_factory=dict)

    def first_date(self, nature: str) -> date:
        return self._series(nature)[0].start

    def at(self, on: date, nature: str) -> Resolved | None:
        """The value in force on ``on`` for ``nature``; ``None`` before the first known value."""
        applicable = [v for v in self._series(nature) if v.start <= on]
        if not applicable:
            return None
        current = applicable[-1]
        provisional = self.annual and current.start.year < on.year
        return Resolved(
            self.name,
            self.label,
            self.unit,
            current.value,
            current.start,
            current.reference,
            current.sourced,
            provisional,
        )

    def _series(self, nature: str) -> tuple[DatedValue, ...]:
        return self.by_nature.get(nature) or self.values

    def series(self, nature: str | None) -> tuple[DatedValue, ...]:
        """The dated values that apply to ``nature`` (its own series, else the default one), oldest first."""
        return self._series(nature or "")


@dataclass(frozen=True)
class FamilyParameters:
    family: str
    label: str
    natures: dict[str, str]
    parameters: dict[str, Parameter]
