"""The shape of a family's barème file (see ``loader`` for an example), as pydantic models.

Each model checks the values where they stand: dates, numbers, a provenance's parts, a revaluation's years and
rate. What spans the file (a nature or revaluation named elsewhere, a value's bounds, an ordered chain) is
checked by the loader on building the ``FamilyParameters``. Every refusal names the file and the place (see
``afas_shared.yaml_definitions``).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Self

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from afas_estimation.domain.parameters.model import Provenance
from afas_shared.yaml_definitions import DefinitionModel, Flag, OptionalText, Refusal, Text, non_empty_list


def _date(value: Any) -> date:
    if not isinstance(value, date) or isinstance(value, datetime):
        raise Refusal(f"expected a YYYY-MM-DD date, got {value!r}")
    return value


def _value(raw: Any) -> Decimal | bool:
    if isinstance(raw, bool):
        return raw
    try:
        # Through str: a YAML float 8.61 must become Decimal("8.61"), not its binary approximation.
        return Decimal(str(raw))
    except (InvalidOperation, ValueError):
        raise Refusal(f"value {raw!r} is not a number") from None


def _year(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise Refusal(f"expected a year, got {value!r}")
    return value


def _rate(value: Any) -> Decimal:
    rate = _value(value)
    if isinstance(rate, bool) or not 0 <= rate < 1:
        raise Refusal(f"'taux' must be a ratio in [0, 1[, got {rate}")
    return rate


def _series(value: Any) -> dict[Any, Any]:
    if not isinstance(value, dict) or not value:
        raise Refusal("'values' must map start dates to values")
    for start in value:
        _date(start)
    return value


def _unit(value: Any) -> str:
    # empty for a flag or a count
    if not isinstance(value, str):
        raise Refusal(f"expected a unit such as '€/h' or '/1', got {value!r}")
    return value


Day = Annotated[date, BeforeValidator(_date)]
Value = Annotated[Decimal | bool, BeforeValidator(_value)]


class SourceModel(DefinitionModel):
    """A structured provenance: the document (``titre``), who issued it, its date, its reference or address."""

    titre: Text
    emetteur: Text
    date: Day
    reference: OptionalText = None
    adresse: OptionalText = None
    note: OptionalText = None

    @model_validator(mode="after")
    def _findable(self) -> Self:
        if self.reference is None and self.adresse is None:
            raise Refusal("'source' needs titre, emetteur, a YYYY-MM-DD date and reference or adresse")
        return self

    def provenance(self) -> Provenance:
        return Provenance(self.titre, self.emetteur, self.date, self.reference or self.adresse or "", self.note or "")


class DerivationModel(DefinitionModel):
    de: Day
    revalorisations: Annotated[list[str], BeforeValidator(non_empty_list)]


class EntryModel(DefinitionModel):
    """One dated value: sourced, derived from an earlier one, or unsourced with a ``reference`` saying why."""

    value: Value
    source: SourceModel | None = None
    reference: OptionalText = None
    derivee: DerivationModel | None = None

    @model_validator(mode="after")
    def _one_provenance(self) -> Self:
        if self.derivee is not None and (self.source is not None or self.reference is not None):
            raise Refusal("a derived value takes its provenance from its derivation, not 'source'")
        return self


Series = Annotated[dict[date, EntryModel], BeforeValidator(_series)]


class ParameterModel(DefinitionModel):
    description: Text
    unit: Annotated[str, BeforeValidator(_unit)]
    # revalued every year: a missing year makes the estimate provisional
    annual: Flag = False
    values: Series
    natures: dict[str, Series] = Field(default_factory=dict)


class RevaluationModel(DefinitionModel):
    de: Annotated[int, BeforeValidator(_year)]
    a: Annotated[int, BeforeValidator(_year)]
    taux: Annotated[Decimal, BeforeValidator(_rate)]
    source: SourceModel

    @model_validator(mode="after")
    def _forward(self) -> Self:
        if not self.de < self.a:
            raise Refusal("'de' and 'a' must be years, 'de' before 'a'")
        return self


_REQUIRED = "'natures' and 'parameters' mappings are required"


def _natures(value: Any) -> dict[Any, Any]:
    if not isinstance(value, dict) or not value:
        raise Refusal(_REQUIRED)
    return value


def _parameters(value: Any) -> dict[Any, Any]:
    if not isinstance(value, dict):
        raise Refusal(_REQUIRED)
    return value


def _revaluations(value: Any) -> dict[Any, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise Refusal("'revalorisations' must map keys to revaluations")
    return value


def _chains(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise Refusal("'ordered' must list chains of parameter names")
    for index, chain in enumerate(value):
        if not isinstance(chain, list) or len(chain) < 2 or len(set(map(str, chain))) != len(chain):
            raise Refusal(f"{chain!r} must list two distinct parameters or more", index)
    return value


class BaremeModel(DefinitionModel):
    family: str
    label: OptionalText = None
    natures: Annotated[dict[str, Text], BeforeValidator(_natures)]
    revalorisations: Annotated[dict[str, RevaluationModel], BeforeValidator(_revaluations)] = Field(
        default_factory=dict
    )
    parameters: Annotated[dict[str, ParameterModel], BeforeValidator(_parameters)]
    ordered: Annotated[list[list[str]], BeforeValidator(lambda v: [] if v is None else _chains(v))] = Field(
        default_factory=list
    )

    @field_validator("family", mode="before")
    @classmethod
    def _stored_family(cls, value: Any, info: ValidationInfo) -> str:
        expected = (info.context or {})["family"]
        if value != expected:
            raise Refusal(f"'family' must be {expected!r}")
        return expected
