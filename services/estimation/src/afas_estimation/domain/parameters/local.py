"""Local parameters: values a Caf's paramétrage agents set for their own Caf, kept apart from the national barèmes.

The only one so far is the amount of the PSU bonus territoire per new place: the Cnaf publishes a national range
(2,600–3,600 € per place « selon la richesse du territoire », Caf de Saône-et-Loire, « Bonus territoire et Contrat
territorial réservataire EAJE », 2025; parameters ``bonus_territoire_place_nouvelle_minimum|maximum`` of the
national barème) and each Caf sets its territory's amount within it. A Caf's values are stored and audited per
Caf (never in the national overrides) and join the national barème only for that Caf's estimates
(``with_local``), as a parameter the explanation lists with its date and provenance like any other.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from afas_estimation.domain.parameters.model import DatedValue, FamilyParameters, Parameter, Provenance


@dataclass(frozen=True)
class LocalSpec:
    """A local parameter: its label and unit, and the national parameters bounding it (inclusive)."""

    family: str
    name: str
    label: str
    unit: str
    minimum: str  # national parameter
    maximum: str  # national parameter


LOCAL_PARAMETERS: dict[tuple[str, str], LocalSpec] = {
    ("eaje_psu", "bonus_territoire_montant_place_nouvelle"): LocalSpec(
        "eaje_psu",
        "bonus_territoire_montant_place_nouvelle",
        "Montant du bonus territoire par place nouvelle (fixé par la Caf)",
        "€",
        "bonus_territoire_place_nouvelle_minimum",
        "bonus_territoire_place_nouvelle_maximum",
    ),
}


@dataclass(frozen=True)
class LocalValue:
    """One dated value a Caf set for one of its local parameters."""

    caf_code: str
    family: str
    parameter: str
    start: date
    value: Decimal
    source: Provenance


def local_spec(family: str, parameter: object) -> LocalSpec | None:
    return LOCAL_PARAMETERS.get((family, parameter)) if isinstance(parameter, str) else None


def national_range(bareme: FamilyParameters, spec: LocalSpec, on: date) -> tuple[Decimal, Decimal]:
    """The national range in force on ``on``; before the first published range, the earliest one (the bonus
    territoire exists from 2020, its range is published from 2025: no other bound is known)."""
    bounds = []
    for name in (spec.minimum, spec.maximum):
        parameter = bareme.parameters[name]
        found = parameter.at(on, "") or parameter.earliest("")
        bounds.append(Decimal(found.value))
    return bounds[0], bounds[1]


def with_local(bareme: FamilyParameters, values: list[LocalValue]) -> FamilyParameters:
    """``bareme`` with the local parameters of one Caf (``values``, all of that Caf and family) added."""
    mine = [v for v in values if v.family == bareme.family]
    if not mine:
        return bareme
    parameters = dict(bareme.parameters)
    for (family, name), spec in LOCAL_PARAMETERS.items():
        series = sorted((v for v in mine if v.parameter == name), key=lambda v: v.start)
        if family != bareme.family or not series:
            continue
        parameters[name] = Parameter(
            name=name,
            label=spec.label,
            unit=spec.unit,
            annual=False,
            values=tuple(DatedValue(v.start, v.value, v.source.text(), v.source) for v in series),
        )
    return replace(bareme, parameters=parameters)
