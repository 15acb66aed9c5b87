"""Barèmes as dated data: a parameter's value applies from its date until the next one.

Each value carries its provenance: a structured ``Provenance`` (document title, issuer, date, reference or
address), or none — then the value is *unsourced* and ``reference`` says why ("non sourcé — à confirmer …").
A parameter marked ``annual`` is revalued every year: asked for a year after its latest value, it answers that
latest value flagged *provisional*, so an estimate is never blocked nor shown as zero for want of a new barème;
asked for a year before its first value (from 2019, see ``Computation``), the earliest value, flagged likewise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

UNSOURCED = "non sourcé"

Value = Decimal | bool


@dataclass(frozen=True)
class Provenance:
    """Where a value comes from: the document (title), who issued it, its date, and its reference or address."""

    title: str
    issuer: str
    published: date
    reference: str
    note: str = ""  # e.g. "valeur déduite : 30 % de 1,80 €"

    def text(self) -> str:
        parts = [self.title, self.issuer, self.published.strftime("%d/%m/%Y"), self.reference]
        return " — ".join(p for p in parts if p) + (f" ({self.note})" if self.note else "")

    def as_json(self) -> dict[str, str]:
        return {
            "titre": self.title,
            "emetteur": self.issuer,
            "date": self.published.isoformat(),
            "reference": self.reference,
            "note": self.note,
        }


@dataclass(frozen=True)
class DatedValue:
    start: date
    value: Value
    reference: str  # the provenance as text (or why the value is unsourced)
    source: Provenance | None = None

    @property
    def sourced(self) -> bool:
        return self.source is not None and not self.reference.lower().startswith(UNSOURCED)


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
    source: Provenance | None = None
    backfilled: bool = False  # the exercice precedes the first known value: the earliest one was applied


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
        return self._resolved(current, provisional)

    def earliest(self, nature: str) -> Resolved:
        """The first known value, for an exercice that precedes it: always provisional."""
        return self._resolved(self._series(nature)[0], True, backfilled=True)

    def _resolved(self, current: DatedValue, provisional: bool, *, backfilled: bool = False) -> Resolved:
        return Resolved(
            self.name,
            self.label,
            self.unit,
            current.value,
            current.start,
            current.reference,
            current.sourced,
            provisional,
            current.source,
            backfilled,
        )

    def _series(self, nature: str) -> tuple[DatedValue, ...]:
        return self.by_nature.get(nature) or self.values

    def series(self, nature: str | None) -> tuple[DatedValue, ...]:
        """The dated values that apply to ``nature`` (its own series, else the default one), oldest first."""
        return self._series(nature or "")

    def backfills_before(self, start: date, nature: str | None) -> bool:
        """Whether the value from ``start`` is (or would become) the earliest of a series this parameter resolves
        from: for a yearly-revalued parameter, the exercices before it are then backfilled from that value
        (``earliest``), so a change of it reaches them too. ``nature`` None: the default series and every nature's
        own one (a change of the default may start them)."""
        if not self.annual:
            return False
        series = [self.series(nature)] if nature else [self.values, *self.by_nature.values()]
        return any(start <= values[0].start for values in series if values)


@dataclass(frozen=True)
class Disorder:
    """Two parameters of an ordered chain whose values in force on ``on`` are not strictly increasing."""

    on: date
    nature: str  # "" for the default series
    low: Resolved  # the one that should be below
    high: Resolved  # the one that should be above


@dataclass(frozen=True)
class FamilyParameters:
    family: str
    label: str
    natures: dict[str, str]
    parameters: dict[str, Parameter]
    # chains of parameters whose values must stay strictly increasing on every date (e.g. the mixité thresholds)
    ordered: tuple[tuple[str, ...], ...] = ()

    def disorders(self, chain: tuple[str, ...], nature: str | None = None) -> list[Disorder]:
        """Where the values of ``chain`` in force on a date are not strictly increasing: on every date a member's
        value starts, for ``nature`` (None: the default series and every nature)."""
        found = []
        for n in [nature] if nature else ["", *self.natures]:
            members = [self.parameters[name] for name in chain]
            for on in sorted({v.start for p in members for v in p.series(n)}):
                known = [r for r in (p.at(on, n) for p in members) if r is not None and not isinstance(r.value, bool)]
                pairs = zip(known, known[1:], strict=False)
                found += [Disorder(on, n, low, high) for low, high in pairs if low.value >= high.value]
        return found
