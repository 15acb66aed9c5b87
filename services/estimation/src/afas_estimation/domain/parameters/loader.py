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

Reading packaged data is the only I/O, so the domain stays free of infrastructure.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from afas_estimation.domain.errors import ParameterFileError, UnknownFamily
from afas_estimation.domain.parameters.model import UNSOURCED, DatedValue, FamilyParameters, Parameter, Provenance
from afas_shared.strict_yaml import StrictLoader

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
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=StrictLoader)
    except yaml.YAMLError as error:
        raise ParameterFileError(f"{path.name}: not valid YAML: {error}") from None
    return _build(raw, path.name, family)


def _build(raw: Any, source: str, family: str) -> FamilyParameters:
    if not isinstance(raw, dict) or raw.get("family") != family:
        raise ParameterFileError(f"{source}: 'family' must be {family!r}")
    natures = raw.get("natures")
    parameters = raw.get("parameters")
    if not isinstance(natures, dict) or not natures or not isinstance(parameters, dict):
        raise ParameterFileError(f"{source}: 'natures' and 'parameters' mappings are required")
    built = {name: _parameter(name, spec, f"{source}: {name}", natures) for name, spec in parameters.items()}
    family_parameters = FamilyParameters(
        family,
        str(raw.get("label", family)),
        {str(k): str(v) for k, v in natures.items()},
        built,
        _ordered(raw.get("ordered"), source, built),
    )
    for chain in family_parameters.ordered:
        for wrong in family_parameters.disorders(chain):
            raise ParameterFileError(
                f"{source}: ordered {list(chain)}: on {wrong.on} {wrong.low.name} ({wrong.low.value}) is not below "
                f"{wrong.high.name} ({wrong.high.value})" + (f" for nature {wrong.nature}" if wrong.nature else "")
            )
    return family_parameters


def _ordered(raw: Any, source: str, built: dict[str, Parameter]) -> tuple[tuple[str, ...], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise ParameterFileError(f"{source}: 'ordered' must list chains of parameter names")
    chains = []
    for chain in raw:
        if not isinstance(chain, list) or len(chain) < 2 or len(set(map(str, chain))) != len(chain):
            raise ParameterFileError(f"{source}: ordered: {chain!r} must list two distinct parameters or more")
        unknown = [name for name in chain if name not in built]
        if unknown:
            raise ParameterFileError(f"{source}: ordered: unknown parameter(s) {unknown}")
        chains.append(tuple(chain))
    return tuple(chains)


def _parameter(name: str, spec: Any, where: str, natures: dict) -> Parameter:
    if not isinstance(spec, dict) or "description" not in spec or "unit" not in spec:
        raise ParameterFileError(f"{where}: 'description' and 'unit' are required")
    by_nature = {}
    for nature, series in (spec.get("natures") or {}).items():
        if nature not in natures:
            raise ParameterFileError(f"{where}: unknown nature {nature!r}")
        by_nature[nature] = _series(series, f"{where}.{nature}")
    parameter = Parameter(
        name,
        str(spec["description"]),
        str(spec["unit"]),
        bool(spec.get("annual", False)),
        _series(spec.get("values"), where),
        by_nature,
    )
    for series in (parameter.values, *by_nature.values()):
        for v in series:
            _check_bounds(parameter, v.value, where)
    return parameter


def _check_bounds(parameter: Parameter, value: Decimal | bool, where: str) -> None:
    if isinstance(value, bool):
        return
    if parameter.unit == "/1" and not 0 <= value <= 1:
        raise ParameterFileError(f"{where}: a ratio must lie in [0, 1], got {value}")
    if parameter.name.startswith("prix_plafond") and value <= 0:
        raise ParameterFileError(f"{where}: a ceiling must be above zero, got {value}")
    if value < 0:
        raise ParameterFileError(f"{where}: negative value {value}")


def provenance(raw: Any, where: str) -> Provenance:
    """A structured provenance from its mapping (``titre``, ``emetteur``, ``date``, ``reference`` or ``adresse``)."""
    if not isinstance(raw, dict):
        raise ParameterFileError(f"{where}: 'source' must map titre, emetteur, date and reference (or adresse)")
    title, issuer = str(raw.get("titre") or "").strip(), str(raw.get("emetteur") or "").strip()
    reference = str(raw.get("reference") or raw.get("adresse") or "").strip()
    published = raw.get("date")
    if not title or not issuer or not reference or not isinstance(published, date):
        raise ParameterFileError(f"{where}: 'source' needs titre, emetteur, a YYYY-MM-DD date and reference or adresse")
    return Provenance(title, issuer, published, reference, str(raw.get("note") or "").strip())


def _series(raw: Any, where: str) -> tuple[DatedValue, ...]:
    if not isinstance(raw, dict) or not raw:
        raise ParameterFileError(f"{where}: 'values' must map start dates to values")
    values = []
    for start, entry in raw.items():
        if not isinstance(start, date) or not isinstance(entry, dict) or "value" not in entry:
            raise ParameterFileError(f"{where}: each value needs a YYYY-MM-DD date and a value")
        if entry.get("source") is not None:
            source = provenance(entry["source"], f"{where} {start}")
            values.append(DatedValue(start, _value(entry.get("value"), where), source.text(), source))
            continue
        reference = str(entry.get("reference") or "")
        if not reference.lower().startswith(UNSOURCED):
            raise ParameterFileError(
                f"{where} {start}: each value needs a structured 'source', or a reference starting with "
                f"'{UNSOURCED}' saying what is missing"
            )
        values.append(DatedValue(start, _value(entry.get("value"), where), reference))
    return tuple(sorted(values, key=lambda v: v.start))


def _value(raw: Any, where: str) -> Decimal | bool:
    if isinstance(raw, bool):
        return raw
    try:
        # Through str: a YAML float 8.61 must become Decimal("8.61"), not its binary approximation.
        return Decimal(str(raw))
    except (InvalidOperation, ValueError):
        raise ParameterFileError(f"{where}: value {raw!r} is not a number") from None
