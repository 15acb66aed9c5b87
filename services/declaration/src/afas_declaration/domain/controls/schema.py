"""The shape of one family's controls file, as pydantic models, and the ``ControlSet`` built from it.

The models check each value where it stands; ``build_controls`` then checks what needs the whole file and the
forms: ids unique, every name an existing numeric figure of the control's scope and natures, a message quoting
only figures the control has. Those are the checks that would otherwise surface as a wrong verdict on a real
declaration. Every refusal names the file and the control (see ``afas_shared.yaml_definitions``).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any, Self

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from afas_declaration.domain import definitions as rules
from afas_declaration.domain.controls.model import (
    DERIVED_CONTROLS,
    SCOPES,
    SEVERITIES,
    ControlDefinition,
    ControlDefinitionError,
    ControlSet,
    ReferenceDefinition,
)
from afas_declaration.domain.controls.names import named_inputs, resolve, scope_fields
from afas_declaration.domain.forms.expressions import Expression
from afas_declaration.domain.forms.model import DECLARATION_TYPES, FamilyDefinition
from afas_shared.yaml_definitions import DefinitionModel, Refusal, checked

_MEASURED = "mesure"
_THRESHOLDS = ("seuil", "min", "max")
_MAX_DECIMALS = 6


def _figure(raw: Any) -> Expression:
    """A measure or a threshold: a number or an expression of the forms' language."""
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise Refusal(f"expected an expression or a number, got {raw!r}")
    parsed = rules.expression(str(raw))
    if parsed.prefixes:
        # A control reads figures, and the forms already name their totals: no sum over a prefix here
        raise Refusal("sum(...) is not available in controls; use the form's total field")
    return parsed


def _decimals(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= _MAX_DECIMALS:
        raise Refusal(f"expected an integer from 0 to {_MAX_DECIMALS}")
    return value


def _control_id(value: Any) -> str:
    if rules.identifier(value) in DERIVED_CONTROLS:
        raise Refusal(f"{value!r} is derived from the forms and cannot be redefined")
    return str(value)


Threshold = Annotated[Expression | None, BeforeValidator(lambda raw: None if raw is None else _figure(raw))]


class ControlModel(DefinitionModel):
    id: Annotated[str, BeforeValidator(_control_id)]
    severity: Annotated[str, BeforeValidator(lambda value: rules.one_of(value, SEVERITIES, "severity"))]
    scope: Annotated[str, BeforeValidator(lambda value: rules.one_of(value, SCOPES, "scope"))]
    natures: tuple[str, ...] | None = None
    measure: Annotated[Expression, BeforeValidator(_figure)]
    min: Threshold = None
    max: Threshold = None
    decimals: Annotated[int, BeforeValidator(_decimals)] = 2
    message: rules.Text
    label: rules.Text
    strict: rules.Flag = False
    unit: rules.OptionalText = None
    empty_as_zero: rules.Flag = False
    types: Annotated[tuple[str, ...] | None, BeforeValidator(lambda value: rules.subset(value, DECLARATION_TYPES))] = (
        None
    )

    @field_validator("natures", mode="before")
    @classmethod
    def _family_natures(cls, value: Any, info: ValidationInfo) -> tuple[str, ...]:
        return rules.subset(value, (info.context or {})["natures"])

    @model_validator(mode="after")
    def _has_threshold(self) -> Self:
        if self.min is None and self.max is None:
            raise Refusal("a control needs a threshold: min, max or both")
        return self

    @property
    def expressions(self) -> dict[str, Expression]:
        """The measure and the thresholds written, by key."""
        found = {"measure": self.measure, "min": self.min, "max": self.max}
        return {key: expression for key, expression in found.items() if expression is not None}


class ReferenceModel(DefinitionModel):
    label: rules.Text
    unit: rules.OptionalText = None


def _references(value: Any) -> dict[str, Any]:
    if not isinstance(value or {}, dict):
        raise Refusal("expected a mapping of reference id to {label, unit}")
    for key in value or {}:
        try:
            rules.identifier(key)
        except Refusal as refusal:
            raise Refusal(refusal.message, str(key)) from None
    return value or {}


class ControlsFileModel(DefinitionModel):
    family: Any
    version: Any
    references: Annotated[dict[str, ReferenceModel], BeforeValidator(_references)] = Field(default_factory=dict)
    controls: Annotated[list[ControlModel], BeforeValidator(rules.non_empty_list)]

    _family = field_validator("family")(rules.stored_family)

    @field_validator("version")
    @classmethod
    def _stored_version(cls, value: Any, info: ValidationInfo) -> str:
        expected = (info.context or {})["version"]
        if value != expected:
            raise Refusal(f"file declares version {value!r} (quote it) but is {expected!r}")
        return str(value)


def build_controls(raw: Any, source: str, forms: FamilyDefinition) -> ControlSet:
    """The ``ControlSet`` of the parsed file ``source``, checked against the family's ``forms``."""

    def build(data: Any) -> ControlSet:
        context = {"family": forms.family, "version": forms.version, "natures": tuple(forms.natures)}
        model = ControlsFileModel.model_validate(data, context=context)
        references = MappingProxyType(
            {key: ReferenceDefinition(key, value.label, value.unit) for key, value in model.references.items()}
        )
        controls: list[ControlDefinition] = []
        for index, control in enumerate(model.controls):
            if any(c.id == control.id for c in controls):
                raise Refusal(f"duplicate control id {control.id!r}", "controls", index, "id")
            controls.append(_control(control, ("controls", index), forms, references))
        return ControlSet(forms, references, tuple(controls))

    return checked(build, raw, source, ControlDefinitionError)


def _control(
    model: ControlModel,
    where: tuple[str | int, ...],
    forms: FamilyDefinition,
    references: Mapping[str, ReferenceDefinition],
) -> ControlDefinition:
    expressions = model.expressions
    for key, figure in expressions.items():
        natures = model.natures or tuple(forms.natures)
        _check_names(figure, model.scope, natures, forms, references, (*where, key))
    names = [name for expression in expressions.values() for name in sorted(expression.names)]
    allowed = {_MEASURED, "seuil", *expressions, *named_inputs(names, scope_fields(forms, model.scope))}
    allowed.discard("measure")
    _check_message(model.message, allowed, (*where, "message"))
    _check_units_not_repeated(model, allowed, forms, references, (*where, "message"))
    return ControlDefinition(
        id=model.id,
        severity=model.severity,
        scope=model.scope,
        label=model.label,
        measure=model.measure,
        message=model.message,
        minimum=model.min,
        maximum=model.max,
        strict=model.strict,
        unit=model.unit,
        decimals=model.decimals,
        empty_as_zero=model.empty_as_zero,
        natures=model.natures,
        declaration_types=model.types,
    )


def _check_names(
    expression: Expression,
    scope: str,
    natures: tuple[str, ...],
    forms: FamilyDefinition,
    references: Mapping[str, ReferenceDefinition],
    where: tuple[str | int, ...],
) -> None:
    for name in sorted(expression.names):
        resolved = resolve(name, scope, forms, references)
        if resolved is None:
            raise Refusal(f"unknown name {name!r} for a control of scope {scope!r}", *where)
        field = resolved.field
        if field is None:
            continue
        if not field.is_numeric:
            raise Refusal(f"field {field.id!r} is {field.type}, not a number", *where)
        uncovered = [n for n in natures if not field.applies_to(n)]
        if uncovered:
            raise Refusal(f"field {field.id!r} does not apply to nature(s) {uncovered}; restrict natures", *where)


def _check_units_not_repeated(
    model: ControlModel,
    allowed: set[str],
    forms: FamilyDefinition,
    references: Mapping[str, ReferenceDefinition],
    where: tuple[str | int, ...],
) -> None:
    """A figure is written with its unit (« 900 journées »): a message adding the unit again after the placeholder
    would read « 900 journées journées »."""
    units: dict[str, str | None] = {name: model.unit for name in (_MEASURED, *_THRESHOLDS)}
    for name in allowed - units.keys():
        resolved = resolve(name, model.scope, forms, references)
        units[name] = resolved.unit if resolved is not None else None
    parsed = list(string.Formatter().parse(model.message))
    following = [literal for literal, *_ in parsed[1:]] + [""]
    for (_, field, _, _), after in zip(parsed, following, strict=True):
        unit = units.get(field or "")
        if unit and after.split(" ", 2)[1:2] == [unit.split(" ")[0]]:
            raise Refusal(f"placeholder {{{field}}} is written with its unit {unit!r}: do not repeat it after", *where)


def _check_message(template: str, allowed: set[str], where: tuple[str | int, ...]) -> None:
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as error:
        raise Refusal(f"invalid template: {error}", *where) from None
    used = set()
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if spec or conversion:
            raise Refusal(f"placeholder {{{name}}} takes no format: numbers are formatted in French", *where)
        if name not in allowed:
            raise Refusal(f"unknown placeholder {{{name}}}; allowed: {sorted(allowed)}", *where)
        used.add(name)
    # The message is what the approbateur justifies: it must say what was measured and against what
    if _MEASURED not in used or not used.intersection(_THRESHOLDS):
        raise Refusal("the message must quote {mesure} and a threshold ({seuil}, {min} or {max})", *where)
