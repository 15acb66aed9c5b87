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
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, cast

import yaml

from afas_estimation.domain.errors import ParameterFileError, UnknownFamily
from afas_estimation.domain.parameters.model import UNSOURCED, DatedValue, FamilyParameters, Parameter, Provenance
from afas_shared.strict_yaml import StrictLoader

_FAMILY = re.compile(r"[a-z][a-z0-9_]*")
_CENT = Decimal("0.01")


@dataclass(frozen=True)
class Revaluation:
    """A published revaluation of a barème from one year's values to a later year's."""

    key: str
    first_year: int
    last_year: int
    rate: Decimal
    source: Provenance


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
    revaluations = _revaluations(raw.get("revalorisations"), source)
    built = {
        name: _parameter(name, spec, f"{source}: {name}", natures, revaluations) for name, spec in parameters.items()
    }
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


def _revaluations(raw: Any, source: str) -> dict[str, Revaluation]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ParameterFileError(f"{source}: 'revalorisations' must map keys to revaluations")
    found = {}
    for key, spec in raw.items():
        where = f"{source}: revalorisations.{key}"
        if not isinstance(spec, dict) or not {"de", "a", "taux", "source"} <= spec.keys():
            raise ParameterFileError(f"{where}: 'de' and 'a' (years), 'taux' and 'source' are required")
        first, last = spec["de"], spec["a"]
        if not isinstance(first, int) or not isinstance(last, int) or not first < last:
            raise ParameterFileError(f"{where}: 'de' and 'a' must be years, 'de' before 'a'")
        rate = _value(spec["taux"], where)
        if isinstance(rate, bool) or not 0 <= rate < 1:
            raise ParameterFileError(f"{where}: 'taux' must be a ratio in [0, 1[, got {rate}")
        found[str(key)] = Revaluation(str(key), first, last, rate, provenance(spec["source"], where))
    return found


def _parameter(
    name: str, spec: Any, where: str, natures: dict, revaluations: dict[str, Revaluation] | None = None
) -> Parameter:
    if not isinstance(spec, dict) or "description" not in spec or "unit" not in spec:
        raise ParameterFileError(f"{where}: 'description' and 'unit' are required")
    by_nature = {}
    for nature, series in (spec.get("natures") or {}).items():
        if nature not in natures:
            raise ParameterFileError(f"{where}: unknown nature {nature!r}")
        by_nature[nature] = _series(series, f"{where}.{nature}", revaluations or {}, str(spec["unit"]))
    parameter = Parameter(
        name,
        str(spec["description"]),
        str(spec["unit"]),
        bool(spec.get("annual", False)),
        _series(spec.get("values"), where, revaluations or {}, str(spec["unit"])),
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


def _series(
    raw: Any, where: str, revaluations: dict[str, Revaluation] | None = None, unit: str = ""
) -> tuple[DatedValue, ...]:
    if not isinstance(raw, dict) or not raw:
        raise ParameterFileError(f"{where}: 'values' must map start dates to values")
    values: list[DatedValue] = []
    origins: dict[date, DatedValue] = {}  # a derived value's first sourced ancestor
    for start, entry in sorted(raw.items(), key=lambda item: str(item[0])):  # a derived value follows its base
        if not isinstance(start, date) or not isinstance(entry, dict) or "value" not in entry:
            raise ParameterFileError(f"{where}: each value needs a YYYY-MM-DD date and a value")
        if entry.get("derivee") is not None:
            derived, origin = _derived(start, entry, values, origins, revaluations or {}, unit, f"{where} {start}")
            values.append(derived)
            origins[start] = origin
            continue
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


def _derived(
    start: date,
    entry: dict,
    earlier: list[DatedValue],
    origins: dict[date, DatedValue],
    revaluations: dict[str, Revaluation],
    unit: str,
    where: str,
) -> tuple[DatedValue, DatedValue]:
    """A value derived from an earlier one of its series by published revaluations (see the module's doc)."""
    spec = entry["derivee"]
    if entry.get("source") is not None or entry.get("reference") is not None:
        raise ParameterFileError(f"{where}: a derived value takes its provenance from its derivation, not 'source'")
    if not isinstance(spec, dict) or not isinstance(spec.get("de"), date) or not spec.get("revalorisations"):
        raise ParameterFileError(f"{where}: 'derivee' needs 'de' (the base value's date) and 'revalorisations'")
    base = next((v for v in earlier if v.start == spec["de"]), None)
    if base is None or isinstance(base.value, bool) or not base.sourced:
        raise ParameterFileError(f"{where}: 'derivee' must start from an earlier sourced value of the same series")
    unknown = [key for key in spec["revalorisations"] if key not in revaluations]
    if unknown:
        raise ParameterFileError(f"{where}: unknown revaluation(s) {unknown}")
    chain = [revaluations[key] for key in spec["revalorisations"]]
    years = [base.start.year] + [r.last_year for r in chain]
    if [r.first_year for r in chain] != years[:-1] or years[-1] != start.year:
        raise ParameterFileError(
            f"{where}: the revaluations must run from {base.start.year} (the base value) to {start.year}, "
            "each one starting where the previous one ends"
        )
    exact = base.value
    for revaluation in chain:
        exact *= 1 + revaluation.rate
    value = exact.quantize(_CENT, rounding=ROUND_HALF_UP)
    written = _value(entry.get("value"), where)
    if written != value:
        raise ParameterFileError(f"{where}: the derived value is {value} ({exact} rounded to the cent), not {written}")
    origin = origins.get(base.start, base)
    source = _derivation_source(base, origin, chain, exact, value, unit)
    return DatedValue(start, value, source.text(), source), origin


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
    first = origin.source
    ancestry = (
        f"source : {first.title} — {first.issuer}, {first.published.strftime('%d/%m/%Y')}"
        if origin is base
        else f"elle-même déduite de {figure(origin.value)} du {origin.start.strftime('%d/%m/%Y')}, source : "
        f"{first.title} — {first.issuer}, {first.published.strftime('%d/%m/%Y')}"
    )
    base_value = cast(Decimal, base.value)  # a derived parameter is a number, never a flag
    note = (
        f"valeur déduite : {figure(base_value)} (valeur du {base.start.strftime('%d/%m/%Y')}, {ancestry}) × {steps} "
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


def _value(raw: Any, where: str) -> Decimal | bool:
    if isinstance(raw, bool):
        return raw
    try:
        # Through str: a YAML float 8.61 must become Decimal("8.61"), not its binary approximation.
        return Decimal(str(raw))
    except (InvalidOperation, ValueError):
        raise ParameterFileError(f"{where}: value {raw!r} is not a number") from None
