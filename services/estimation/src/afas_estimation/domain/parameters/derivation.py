"""A barème value derived from an earlier value of its series by published revaluations (see ``loader``).

The value is base × Π(1 + taux), rounded half up to the cent like a published ceiling, and must equal the value
written beside it; its provenance names the revaluations' documents and, in its note, the base value and the
arithmetic, so a partner sees that it is our computation and from what.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from afas_estimation.domain.parameters.model import DatedValue, Provenance
from afas_shared.yaml_definitions import Refusal

_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Revaluation:
    """A published revaluation of a barème from one year's values to a later year's."""

    key: str
    first_year: int
    last_year: int
    rate: Decimal
    source: Provenance


def derive(
    start: date,
    written: Decimal | bool,
    base: DatedValue | None,
    origin: DatedValue | None,
    chain: list[Revaluation],
    unit: str,
) -> DatedValue:
    """The value from ``start`` derived from ``base`` by ``chain``; ``origin``: the first sourced ancestor of
    ``base`` when ``base`` is itself derived."""
    if base is None or isinstance(base.value, bool) or not base.sourced:
        raise Refusal("'derivee' must start from an earlier sourced value of the same series")
    years = [base.start.year] + [r.last_year for r in chain]
    if [r.first_year for r in chain] != years[:-1] or years[-1] != start.year:
        raise Refusal(
            f"the revaluations must run from {base.start.year} (the base value) to {start.year}, "
            "each one starting where the previous one ends"
        )
    exact = base.value
    for revaluation in chain:
        exact *= 1 + revaluation.rate
    value = exact.quantize(_CENT, rounding=ROUND_HALF_UP)
    if written != value:
        raise Refusal(f"the derived value is {value} ({exact} rounded to the cent), not {written}")
    source = _derivation_source(base, origin or base, chain, exact, value, unit)
    return DatedValue(start, value, source.text(), source)


def _derivation_source(
    base: DatedValue, origin: DatedValue, chain: list[Revaluation], exact: Decimal, value: Decimal, unit: str
) -> Provenance:
    def figure(number: Decimal) -> str:
        text = format(number.normalize(), "f").replace(".", ",")
        return f"{text}\u00a0{unit}" if unit else text

    def factor(rate: Decimal) -> str:
        return format((1 + rate).normalize(), "f").replace(".", ",")

    steps = " × ".join(
        f"{factor(r.rate)} (revalorisation {r.first_year}→{r.last_year} : {r.source.issuer}, {r.source.published.year})"
        for r in chain
    )
    assert origin.source is not None and not isinstance(origin.value, bool)
    assert not isinstance(base.value, bool)  # a derived parameter is a number, never a flag
    first = origin.source
    ancestry = (
        f"source : {first.title} — {first.issuer}, {first.published.strftime('%d/%m/%Y')}"
        if origin is base
        else f"elle-même déduite de {figure(origin.value)} du {origin.start.strftime('%d/%m/%Y')}, source : "
        f"{first.title} — {first.issuer}, {first.published.strftime('%d/%m/%Y')}"
    )
    note = (
        f"valeur déduite : {figure(base.value)} (valeur du {base.start.strftime('%d/%m/%Y')}, {ancestry}) × {steps} "
        f"= {figure(exact)}, arrondi au centime : {figure(value)}"
    )
    latest = max(chain, key=lambda r: r.source.published).source
    return Provenance(
        "Valeur déduite par revalorisation publiée : " + " ; ".join(r.source.title for r in chain),
        " ; ".join(dict.fromkeys(r.source.issuer for r in chain)),
        latest.published,
        " ; ".join(dict.fromkeys(r.source.reference for r in chain)),
        note,
    )
