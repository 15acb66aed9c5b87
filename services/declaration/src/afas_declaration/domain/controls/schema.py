"""Turn the parsed YAML of one family's controls into a ``ControlSet``, refusing anything that would misfire.

Every error names the file and the control, so whoever edits a campaign's controls can fix it alone. The checks
are those that would otherwise surface as a wrong verdict on a real declaration: an unknown or non-numeric
field, a field missing for one of the control's natures, a message quoting a figure the control does not have.
"""

from __future__ import annotations

import keyword
import re
import string
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

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
from afas_declaration.domain.forms.expressions import Expression, ExpressionError, parse_expression
from afas_declaration.domain.forms.model import DECLARATION_TYPES, FamilyDefinition

_ID = re.compile(r"[a-z][a-z0-9_]*")
_FILE_KEYS = {"family", "version", "references", "controls"}
_REFERENCE_KEYS = {"label", "unit"}
_CONTROL_KEYS = {
    "id",
    "severity",
    "scope",
    "label",
    "measure",
    "min",
    "max",
    "strict",
    "unit",
    "decimals",
    "empty_as_zero",
    "message",
    "natures",
    "types",
}
_CONTROL_REQUIRED = {"id", "severity", "scope", "label", "measure", "message"}
_MEASURED = "mesure"
_THRESHOLDS = ("seuil", "min", "max")
_MAX_DECIMALS = 6


class _Context:
    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, where: str, message: str) -> ControlDefinitionError:
        return ControlDefinitionError(f"{self.source}: {where}: {message}" if where else f"{self.source}: {message}")

    def mapping(self, value: Any, where: str, allowed: set[str], required: set[str]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.error(where, f"expected a mapping, got {type(value).__name__}")
        unknown = sorted(str(k) for k in value if k not in allowed)
        if unknown:
            raise self.error(where, f"unknown key(s) {', '.join(map(repr, unknown))}; allowed: {sorted(allowed)}")
        missing = sorted(required - value.keys())
        if missing:
            raise self.error(where, f"missing key(s) {', '.join(map(repr, missing))}")
        return value

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.error(where, "expected a non-empty string")
        return value.strip()

    def identifier(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not _ID.fullmatch(value) or keyword.iskeyword(value):
            raise self.error(where, f"invalid id {value!r}: expected snake_case ([a-z][a-z0-9_]*)")
        return value

    def flag(self, data: dict[str, Any], key: str, where: str) -> bool:
        value = data.get(key, False)
        if not isinstance(value, bool):
            raise self.error(f"{where}.{key}", "expected true or false")
        return value

    def subset(self, data: dict[str, Any], key: str, where: str, allowed: tuple[str, ...]) -> tuple[str, ...] | None:
        if key not in data:
            return None
        listed = data[key]
        if not isinstance(listed, list) or not listed:
            raise self.error(f"{where}.{key}", "expected a non-empty list")
        unknown = [item for item in listed if item not in allowed]
        if unknown:
            raise self.error(f"{where}.{key}", f"unknown value(s) {unknown}; allowed: {list(allowed)}")
        return tuple(dict.fromkeys(listed))


def build_controls(raw: Any, source: str, forms: FamilyDefinition) -> ControlSet:
    ctx = _Context(source)
    data = ctx.mapping(raw, "", _FILE_KEYS, {"family", "version", "controls"})
    if data["family"] != forms.family:
        raise ctx.error("family", f"file declares family {data['family']!r} but is stored as {forms.family!r}")
    if data["version"] != forms.version:
        raise ctx.error("version", f"file declares version {data['version']!r} (quote it) but is {forms.version!r}")
    references = _references(ctx, data.get("references") or {})
    if not isinstance(data["controls"], list) or not data["controls"]:
        raise ctx.error("controls", "expected a non-empty list")
    controls: list[ControlDefinition] = []
    for index, control_raw in enumerate(data["controls"]):
        control = _control(ctx, index, control_raw, forms, references)
        if any(c.id == control.id for c in controls):
            raise ctx.error(f"controls[{control.id}].id", f"duplicate control id {control.id!r}")
        controls.append(control)
    return ControlSet(forms.family, forms.version, forms, references, tuple(controls))


def _references(ctx: _Context, raw: Any) -> Mapping[str, ReferenceDefinition]:
    if not isinstance(raw, dict):
        raise ctx.error("references", "expected a mapping of reference id to {label, unit}")
    built = {}
    for key, value in raw.items():
        where = f"references.{key}"
        reference_id = ctx.identifier(key, where)
        data = ctx.mapping(value, where, _REFERENCE_KEYS, {"label"})
        unit = ctx.text(data["unit"], f"{where}.unit") if data.get("unit") is not None else None
        built[reference_id] = ReferenceDefinition(reference_id, ctx.text(data["label"], f"{where}.label"), unit)
    return MappingProxyType(built)


def _control(
    ctx: _Context, index: int, raw: Any, forms: FamilyDefinition, references: Mapping[str, ReferenceDefinition]
) -> ControlDefinition:
    where = f"controls[{index}]"
    if isinstance(raw, dict) and isinstance(raw.get("id"), str):
        where = f"controls[{raw['id']}]"
    data = ctx.mapping(raw, where, _CONTROL_KEYS, _CONTROL_REQUIRED)
    control_id = ctx.identifier(data["id"], f"{where}.id")
    if control_id in DERIVED_CONTROLS:
        raise ctx.error(f"{where}.id", f"{control_id!r} is derived from the forms and cannot be redefined")
    severity, scope = data["severity"], data["scope"]
    if severity not in SEVERITIES:
        raise ctx.error(f"{where}.severity", f"unknown severity {severity!r}; allowed: {list(SEVERITIES)}")
    if scope not in SCOPES:
        raise ctx.error(f"{where}.scope", f"unknown scope {scope!r}; allowed: {list(SCOPES)}")
    natures = ctx.subset(data, "natures", where, tuple(forms.natures))
    expressions = {"measure": _expression(ctx, f"{where}.measure", data["measure"])}
    for key in ("min", "max"):
        if data.get(key) is not None:
            expressions[key] = _expression(ctx, f"{where}.{key}", data[key])
    if len(expressions) == 1:
        raise ctx.error(where, "a control needs a threshold: min, max or both")
    for key, expression in expressions.items():
        _check_names(ctx, f"{where}.{key}", expression, scope, natures or tuple(forms.natures), forms, references)
    decimals = data.get("decimals", 2)
    if isinstance(decimals, bool) or not isinstance(decimals, int) or not 0 <= decimals <= _MAX_DECIMALS:
        raise ctx.error(f"{where}.decimals", f"expected an integer from 0 to {_MAX_DECIMALS}")
    names = [name for expression in expressions.values() for name in sorted(expression.names)]
    allowed = {_MEASURED, "seuil", *expressions, *named_inputs(names, scope_fields(forms, scope))}
    allowed.discard("measure")
    message = _message(ctx, f"{where}.message", data["message"], allowed)
    return ControlDefinition(
        id=control_id,
        severity=severity,
        scope=scope,
        label=ctx.text(data["label"], f"{where}.label"),
        measure=expressions["measure"],
        message=message,
        minimum=expressions.get("min"),
        maximum=expressions.get("max"),
        strict=ctx.flag(data, "strict", where),
        unit=ctx.text(data["unit"], f"{where}.unit") if data.get("unit") is not None else None,
        decimals=decimals,
        empty_as_zero=ctx.flag(data, "empty_as_zero", where),
        natures=natures,
        declaration_types=ctx.subset(data, "types", where, DECLARATION_TYPES),
    )


def _expression(ctx: _Context, where: str, raw: Any) -> Expression:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise ctx.error(where, f"expected an expression or a number, got {raw!r}")
    try:
        expression = parse_expression(str(raw))
    except ExpressionError as error:
        raise ctx.error(where, str(error)) from None
    if expression.prefixes:
        # A control reads figures, and the forms already name their totals: no sum over a prefix here
        raise ctx.error(where, "sum(...) is not available in controls; use the form's total field")
    return expression


def _check_names(
    ctx: _Context,
    where: str,
    expression: Expression,
    scope: str,
    natures: tuple[str, ...],
    forms: FamilyDefinition,
    references: Mapping[str, ReferenceDefinition],
) -> None:
    for name in sorted(expression.names):
        resolved = resolve(name, scope, forms, references)
        if resolved is None:
            raise ctx.error(where, f"unknown name {name!r} for a control of scope {scope!r}")
        field = resolved.field
        if field is None:
            continue
        if not field.is_numeric:
            raise ctx.error(where, f"field {field.id!r} is {field.type}, not a number")
        uncovered = [n for n in natures if not field.applies_to(n)]
        if uncovered:
            raise ctx.error(where, f"field {field.id!r} does not apply to nature(s) {uncovered}; restrict natures")


def _message(ctx: _Context, where: str, raw: Any, allowed: set[str]) -> str:
    template = ctx.text(raw, where)
    try:
        parsed = list(string.Formatter().parse(template))
    except ValueError as error:
        raise ctx.error(where, f"invalid template: {error}") from None
    used = set()
    for _, name, spec, conversion in parsed:
        if name is None:
            continue
        if spec or conversion:
            raise ctx.error(where, f"placeholder {{{name}}} takes no format: numbers are formatted in French")
        if name not in allowed:
            raise ctx.error(where, f"unknown placeholder {{{name}}}; allowed: {sorted(allowed)}")
        used.add(name)
    # The message is what the approbateur justifies: it must say what was measured and against what
    if _MEASURED not in used or not used.intersection(_THRESHOLDS):
        raise ctx.error(where, "the message must quote {mesure} and a threshold ({seuil}, {min} or {max})")
    return template
