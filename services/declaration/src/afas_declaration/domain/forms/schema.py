"""Turn the parsed YAML of one family into a ``FamilyDefinition``, refusing anything the platform would misread.

Every error names the file and the path inside it, so whoever edits a campaign's definitions can fix it alone.
Numeric types default to ``min: 0`` (and percent to ``max: 100``): declared quantities are never negative, and a
field that may be must say so explicitly (``min: null``, or a negative bound).
"""

from __future__ import annotations

import dataclasses
import keyword
import re
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from afas_declaration.domain.forms.expressions import ExpressionError, parse_expression
from afas_declaration.domain.forms.graph import check_references, computed_order
from afas_declaration.domain.forms.model import (
    DECLARATION_TYPES,
    FIELD_TYPES,
    FORM_IDS,
    NUMERIC_TYPES,
    DefinitionError,
    FamilyDefinition,
    FieldDefinition,
    FormDefinition,
    Section,
)

_ID = re.compile(r"[a-z][a-z0-9_]*")
_RESERVED = {"sum"}
_FAMILY_KEYS = {"family", "version", "label", "natures", "forms"}
_FORM_KEYS = {"title", "variants", "sections"}
_VARIANT_KEYS = {"title"}
_SECTION_KEYS = {"id", "label", "fields"}
_FIELD_KEYS = {"id", "label", "type", "unit", "min", "max", "required", "natures", "computed", "help"}
_DEFAULT_BOUNDS = {"percent": (Decimal(0), Decimal(100))}


class _Context:
    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, where: str, message: str) -> DefinitionError:
        return DefinitionError(f"{self.source}: {where}: {message}" if where else f"{self.source}: {message}")

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
        if not isinstance(value, str) or not _ID.fullmatch(value) or keyword.iskeyword(value) or value in _RESERVED:
            raise self.error(where, f"invalid id {value!r}: expected snake_case ([a-z][a-z0-9_]*), not a keyword")
        return value

    def sequence(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list) or not value:
            raise self.error(where, "expected a non-empty list")
        return value


def build_family(raw: Any, source: str, family: str, version: str) -> FamilyDefinition:
    ctx = _Context(source)
    data = ctx.mapping(raw, "", _FAMILY_KEYS, _FAMILY_KEYS)
    if data["family"] != family:
        raise ctx.error("family", f"file declares family {data['family']!r} but is stored as {family!r}")
    if not isinstance(data["version"], str):
        raise ctx.error("version", f"quote the version ({data['version']!r}): YAML reads 2026.10 as the number 2026.1")
    if data["version"] != version:
        raise ctx.error("version", f"file declares version {data['version']!r} but is stored under {version!r}")
    if not isinstance(data["natures"], dict) or not data["natures"]:
        raise ctx.error("natures", "expected a non-empty mapping of nature id to French label")
    natures = {ctx.identifier(k, f"natures.{k}"): ctx.text(v, f"natures.{k}") for k, v in data["natures"].items()}
    forms_raw = ctx.mapping(data["forms"], "forms", set(FORM_IDS), set(FORM_IDS))
    forms = {fid: _build_form(ctx, fid, forms_raw[fid], tuple(natures)) for fid in FORM_IDS}
    return FamilyDefinition(
        family=family,
        version=version,
        label=ctx.text(data["label"], "label"),
        natures=MappingProxyType(natures),
        forms=MappingProxyType(forms),
    )


def _build_form(ctx: _Context, form_id: str, raw: Any, natures: tuple[str, ...]) -> FormDefinition:
    where = f"forms.{form_id}"
    data = ctx.mapping(raw, where, _FORM_KEYS, {"title", "sections"})
    title = ctx.text(data["title"], f"{where}.title")
    titles = dict.fromkeys(DECLARATION_TYPES, title)
    variants = ctx.mapping(data.get("variants") or {}, f"{where}.variants", set(DECLARATION_TYPES), set())
    for declaration_type, variant in variants.items():
        vwhere = f"{where}.variants.{declaration_type}"
        titles[declaration_type] = ctx.text(ctx.mapping(variant, vwhere, _VARIANT_KEYS, {"title"})["title"], vwhere)
    sections: list[Section] = []
    seen_sections: set[str] = set()
    seen_fields: set[str] = set()
    for index, section_raw in enumerate(ctx.sequence(data["sections"], f"{where}.sections")):
        swhere = f"{where}.sections[{index}]"
        section = ctx.mapping(section_raw, swhere, _SECTION_KEYS, _SECTION_KEYS)
        section_id = ctx.identifier(section["id"], f"{swhere}.id")
        if section_id in seen_sections:
            raise ctx.error(f"{swhere}.id", f"duplicate section id {section_id!r}")
        seen_sections.add(section_id)
        swhere = f"{where}.sections[{section_id}]"
        fields = []
        for field_raw in ctx.sequence(section["fields"], f"{swhere}.fields"):
            built = _build_field(ctx, swhere, field_raw, natures)
            if built.id in seen_fields:
                raise ctx.error(f"{swhere}.fields[{built.id}]", f"duplicate field id {built.id!r} in form {form_id!r}")
            seen_fields.add(built.id)
            fields.append(built)
        sections.append(Section(section_id, ctx.text(section["label"], f"{swhere}.label"), tuple(fields)))
    form = FormDefinition(form_id, title, MappingProxyType(titles), tuple(sections), natures)
    try:
        form = _bind(form)
        check_references(form)
        order = computed_order(form)
    except DefinitionError as error:
        raise ctx.error(where, str(error)) from None
    return FormDefinition(form.id, form.title, form.title_by_type, form.sections, natures, order)


def _build_field(ctx: _Context, swhere: str, raw: Any, natures: tuple[str, ...]) -> FieldDefinition:
    if isinstance(raw, dict) and isinstance(raw.get("id"), str):
        swhere = f"{swhere}.fields[{raw['id']}]"
    data = ctx.mapping(raw, swhere, _FIELD_KEYS, {"id", "label", "type"})
    field_id = ctx.identifier(data["id"], f"{swhere}.id")
    field_type = data["type"]
    if field_type not in FIELD_TYPES:
        raise ctx.error(f"{swhere}.type", f"unknown type {field_type!r}; allowed: {list(FIELD_TYPES)}")
    required = data.get("required", False)
    if not isinstance(required, bool):
        raise ctx.error(f"{swhere}.required", "expected true or false")
    computed = data.get("computed")
    expression = None
    if computed is not None:
        if field_type not in NUMERIC_TYPES:
            raise ctx.error(f"{swhere}.computed", f"a computed field must be numeric, not {field_type!r}")
        if required:
            raise ctx.error(f"{swhere}.required", "a computed field is never typed, so it cannot be required")
        try:
            expression = parse_expression(computed)
        except ExpressionError as error:
            raise ctx.error(f"{swhere}.computed", str(error)) from None
    low, high = _bounds(ctx, swhere, data, field_type, computed is not None)
    field_natures = None
    if "natures" in data:
        listed = ctx.sequence(data["natures"], f"{swhere}.natures")
        unknown = [n for n in listed if n not in natures]
        if unknown:
            raise ctx.error(f"{swhere}.natures", f"unknown nature(s) {unknown}; the family has {list(natures)}")
        field_natures = tuple(dict.fromkeys(listed))
    return FieldDefinition(
        id=field_id,
        label=ctx.text(data["label"], f"{swhere}.label"),
        type=field_type,
        unit=ctx.text(data["unit"], f"{swhere}.unit") if data.get("unit") is not None else None,
        min=low,
        max=high,
        required=required,
        natures=field_natures,
        computed=expression.source if expression else None,
        help=ctx.text(data["help"], f"{swhere}.help") if data.get("help") is not None else None,
        expression=expression,
    )


def _bounds(ctx: _Context, where: str, data: dict, field_type: str, computed: bool) -> tuple[Any, Any]:
    if field_type not in NUMERIC_TYPES or computed:
        for key in ("min", "max"):
            if key in data:
                raise ctx.error(f"{where}.{key}", f"bounds apply to typed numeric fields only, not {field_type!r}")
        return None, None
    default_low, default_high = _DEFAULT_BOUNDS.get(field_type, (Decimal(0), None))
    low = _number(ctx, f"{where}.min", data["min"]) if "min" in data else default_low
    high = _number(ctx, f"{where}.max", data["max"]) if "max" in data else default_high
    if low is not None and high is not None and low > high:
        raise ctx.error(where, f"min {low} is greater than max {high}")
    return low, high


def _number(ctx: _Context, where: str, value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ctx.error(where, f"expected a number, got {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ctx.error(where, f"expected a number, got {value!r}") from None
    if not number.is_finite():
        raise ctx.error(where, f"expected a finite number, got {value!r}")
    return number


def _bind(form: FormDefinition) -> FormDefinition:
    ids = list(form.fields)
    sections = tuple(Section(s.id, s.label, tuple(_bind_field(f, ids) for f in s.fields)) for s in form.sections)
    return FormDefinition(form.id, form.title, form.title_by_type, sections, form.natures)


def _bind_field(field: FieldDefinition, ids: list[str]) -> FieldDefinition:
    if field.expression is None:
        return field
    return dataclasses.replace(field, expression=field.expression.bind(ids, field.id))
