"""Read a family's barème from ``data/<family>.yaml`` (OpenFisca-like: values keyed by start date).

File shape::

    family: laep
    label: LAEP
    natures: {general: LAEP}
    parameters:
      taux_ps:
        description: Taux de la prestation de service
        unit: /1                 # a ratio; "€/h", "€", "%" (a percentage point value), …
        annual: false            # true: revalued every year, a missing year makes the estimate provisional
        values:
          2014-01-01:
            value: 0.30
            source: {titre: "…", emetteur: "Caf des Hauts-de-Seine", date: 2016-10-01, reference: "https://…"}
        natures:                 # optional: a nature's own series replaces the default one
          some_nature:
            2024-01-01: {value: 0.40, reference: "non sourcé — à confirmer par la Caf"}

A value has a structured ``source`` (title, issuer, date, reference or address; optional note), or is unsourced:
its ``reference`` then starts with "non sourcé" and says what is missing. A ratio (unit ``/1``) lies in [0, 1],
a ceiling (``prix_plafond*``) is above zero. An optional top-level ``ordered`` lists chains of parameters whose
values stay strictly increasing on every date (thresholds, a national range's minimum and maximum)::

    ordered:
      - [bonus_mixite_seuil_1, bonus_mixite_seuil_2, bonus_mixite_seuil_3]

An optional top-level ``revalorisations`` lists published revaluations of a barème, each with its source; a value
may then be *derived* from an earlier value of its series by a chain of them (our arithmetic, said as such)::

    revalorisations:
      psu_2022: {de: 2021, a: 2022, taux: 0.05, source: {titre: "…", emetteur: "…", date: 2022-09-06, reference: "…"}}
    parameters:
      prix_plafond_x:
        values:
          2021-01-01: {value: 8.15, source: {…}}
          2022-01-01: {value: 8.56, derivee: {de: 2021-01-01, revalorisations: [psu_2022]}}

The chain must run from the base value's year to the derived value's year (each revaluation starting where the
previous one ends); the value is base × Π(1 + taux), rounded half up to the cent like a published ceiling, and
must equal the ``value`` written beside it. Its provenance names the revaluations' documents and, in its note,
the base value (date, provenance) and the arithmetic. A derived value rests on the values as written in the file:
a later change of its base through the national paramétrage does not move it (it is a dated value like any other).

Reading packaged data is the only I/O, so the domain stays free of infrastructure.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from afas_estimation.domain.errors import ParameterFileError, UnknownFamily
from afas_estimation.domain.parameters.derivation import Revaluation, derive
from afas_estimation.domain.parameters.model import UNSOURCED, DatedValue, FamilyParameters, Parameter
from afas_estimation.domain.parameters.schema import BaremeModel, EntryModel, ParameterModel
from afas_shared.yaml_definitions import Place, Refusal, checked, read_yaml

_FAMILY = re.compile(r"[a-z][a-z0-9_]*")


def _default_base() -> Path:
    return Path(str(resources.files(__package__) / "data"))


def available_families(base: Path | str | None = None) -> list[str]:
    root = Path(base) if base is not None else _default_base()
    return sorted(p.stem for p in root.glob("*.yaml"))


def load_family(family: str, base: Path | str | None = None) -> FamilyParameters:
    """The checked barème of ``family``; ``UnknownFamily`` if there is none."""
    return _load(family, str(base) if base is not None else None)


@lru_cache(maxsize=64)
def _load(family: str, base: str | None) -> FamilyParameters:
    if not isinstance(family, str) or not _FAMILY.fullmatch(family):
        raise UnknownFamily(f"Type d'activité inconnu : {family!r}.", "family")
    path = (Path(base) if base is not None else _default_base()) / f"{family}.yaml"
    if not path.is_file():
        raise UnknownFamily(f"Type d'activité inconnu pour l'estimation : {family}.", "family")
    raw = read_yaml(path, path.name, ParameterFileError)
    return checked(lambda data: _build(data, family), raw, path.name, ParameterFileError)


def _build(raw: Any, family: str) -> FamilyParameters:
    model = BaremeModel.model_validate(raw, context={"family": family})
    revaluations = {
        key: Revaluation(key, spec.de, spec.a, spec.taux, spec.source.provenance())
        for key, spec in model.revalorisations.items()
    }
    parameters = {name: _parameter(name, spec, model.natures, revaluations) for name, spec in model.parameters.items()}
    for index, names in enumerate(model.ordered):
        unknown = [name for name in names if name not in parameters]
        if unknown:
            raise Refusal(f"unknown parameter(s) {unknown}", "ordered", index)
    built = FamilyParameters(
        family, model.label or family, dict(model.natures), parameters, tuple(tuple(chain) for chain in model.ordered)
    )
    for index, chain in enumerate(built.ordered):
        for wrong in built.disorders(chain):
            raise Refusal(
                f"on {wrong.on} {wrong.low.name} ({wrong.low.value}) is not below {wrong.high.name} "
                f"({wrong.high.value})" + (f" for nature {wrong.nature}" if wrong.nature else ""),
                "ordered",
                index,
            )
    return built


def _parameter(
    name: str, spec: ParameterModel, natures: dict[str, str], revaluations: dict[str, Revaluation]
) -> Parameter:
    where = ("parameters", name)
    by_nature = {}
    for nature, series in spec.natures.items():
        if nature not in natures:
            raise Refusal(f"unknown nature {nature!r}", *where, "natures", nature)
        by_nature[nature] = _series(series, (*where, "natures", nature), revaluations, spec.unit)
    values = _series(spec.values, (*where, "values"), revaluations, spec.unit)
    parameter = Parameter(name, spec.description, spec.unit, spec.annual, values, by_nature)
    places = {(*where, "values"): values} | {(*where, "natures", n): series for n, series in by_nature.items()}
    for place, dated_values in places.items():
        for value in dated_values:
            _check_bounds(parameter, value, place)
    return parameter


def _check_bounds(parameter: Parameter, dated: DatedValue, where: Place) -> None:
    value = dated.value
    if isinstance(value, bool):
        return
    if parameter.unit == "/1" and not 0 <= value <= 1:
        raise Refusal(f"a ratio must lie in [0, 1], got {value}", *where, str(dated.start))
    if parameter.name.startswith("prix_plafond") and value <= 0:
        raise Refusal(f"a ceiling must be above zero, got {value}", *where, str(dated.start))
    if value < 0:
        raise Refusal(f"negative value {value}", *where, str(dated.start))


def _series(
    entries: dict[date, EntryModel], where: Place, revaluations: dict[str, Revaluation], unit: str
) -> tuple[DatedValue, ...]:
    values: list[DatedValue] = []
    origins: dict[date, DatedValue] = {}  # a derived value's first sourced ancestor
    for start, entry in sorted(entries.items()):  # a derived value follows its base
        at = (*where, str(start))
        if entry.derivee is not None:
            unknown = [key for key in entry.derivee.revalorisations if key not in revaluations]
            if unknown:
                raise Refusal(f"unknown revaluation(s) {unknown}", *at, "derivee")
            base = next((v for v in values if v.start == entry.derivee.de), None)
            origin = origins.get(entry.derivee.de, base)
            chain = [revaluations[key] for key in entry.derivee.revalorisations]
            try:
                values.append(derive(start, entry.value, base, origin, chain, unit))
            except Refusal as refusal:
                raise Refusal(refusal.message, *at, "derivee") from None
            if origin is not None:
                origins[start] = origin
        elif entry.source is not None:
            source = entry.source.provenance()
            values.append(DatedValue(start, entry.value, source.text(), source))
        elif not (entry.reference or "").lower().startswith(UNSOURCED):
            raise Refusal(
                f"each value needs a structured 'source', or a reference starting with '{UNSOURCED}' saying what "
                "is missing",
                *at,
            )
        else:
            values.append(DatedValue(start, entry.value, entry.reference or ""))
    return tuple(values)
