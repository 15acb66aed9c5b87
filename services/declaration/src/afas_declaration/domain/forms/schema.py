"""The shape of one family's form definition file, as pydantic models, and the ``FamilyDefinition`` built from it.

The models check each value where it stands; ``build_family`` then checks what spans the file (ids unique in a
form, natures known to the family, computed fields naming existing numeric fields without a cycle). Every refusal
names the file and the place (see ``afas_shared.yaml_definitions``). Numeric types default to ``min: 0`` (and
percent to ``max: 100``): declared quantities are never negative, and a field that may be must say so explicitly
(``min: null``, or a negative bound).
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Annotated, Any, Self

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from afas_declaration.domain import definitions as rules
from afas_declaration.domain.forms.expressions import Expression
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
from afas_shared.yaml_definitions import DefinitionModel, Refusal, checked, known_keys

_DEFAULT_BOUNDS = {"percent": (Decimal(0), Decimal(100))}


def _number(value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Refusal(f"expected a number, got {value!r}")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise Refusal(f"expected a number, got {value!r}") from None
    if not number.is_finite():
        raise Refusal(f"expected a finite number, got {value!r}")
    return number


def _natures(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not value:
        raise Refusal("expected a non-empty mapping of nature id to French label")
    checked_natures = {}
    for key, label in value.items():
        try:
            checked_natures[rules.identifier(key)] = rules.text(label)
        except Refusal as refusal:
            raise Refusal(refusal.message, str(key)) from None
    return checked_natures


Bound = Annotated[Decimal | None, BeforeValidator(_number)]


class FieldModel(DefinitionModel):
    id: rules.Identifier
    type: Annotated[str, BeforeValidator(lambda value: rules.one_of(value, FIELD_TYPES, "type"))]
    required: rules.Flag = False
    computed: Annotated[Expression | None, BeforeValidator(lambda v: None if v is None else rules.expression(v))] = None
    min: Bound = None
    max: Bound = None
    natures: Annotated[tuple[str, ...] | None, BeforeValidator(lambda v: tuple(rules.non_empty_list(v)))] = None
    label: rules.Text
    unit: rules.OptionalText = None
    help: rules.OptionalText = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.computed is not None and self.type not in NUMERIC_TYPES:
            raise Refusal(f"a computed field must be numeric, not {self.type!r}", "computed")
        if self.computed is not None and self.required:
            raise Refusal("a computed field is never typed, so it cannot be required", "required")
        if self.type not in NUMERIC_TYPES or self.computed is not None:
            for key in ("min", "max"):
                if key in self.model_fields_set:
                    raise Refusal(f"bounds apply to typed numeric fields only, not {self.type!r}", key)
        low, high = self.bounds
        if low is not None and high is not None and low > high:
            raise Refusal(f"min {low} is greater than max {high}")
        return self

    @property
    def bounds(self) -> tuple[Decimal | None, Decimal | None]:
        """The bounds a typed value must respect: the written ones, else the type's defaults."""
        if self.type not in NUMERIC_TYPES or self.computed is not None:
            return None, None
        default_low, default_high = _DEFAULT_BOUNDS.get(self.type, (Decimal(0), None))
        low = self.min if "min" in self.model_fields_set else default_low
        high = self.max if "max" in self.model_fields_set else default_high
        return low, high


class SectionModel(DefinitionModel):
    id: rules.Identifier
    label: rules.Text
    fields: Annotated[list[FieldModel], BeforeValidator(rules.non_empty_list)]


class VariantModel(DefinitionModel):
    title: rules.Text


def _variants(value: Any) -> dict[str, Any]:
    return known_keys(value or {}, DECLARATION_TYPES, ())


class FormModel(DefinitionModel):
    title: rules.Text
    variants: Annotated[dict[str, VariantModel], BeforeValidator(_variants)] = Field(default_factory=dict)
    sections: Annotated[list[SectionModel], BeforeValidator(rules.non_empty_list)]


class FormsModel(DefinitionModel):
    # one field per id of ``FORM_IDS``: every family has both forms
    activite: FormModel
    financier: FormModel


class FamilyModel(DefinitionModel):
    family: Any
    version: Any
    natures: Annotated[dict[str, str], BeforeValidator(_natures)]
    forms: FormsModel
    label: rules.Text

    _family = field_validator("family")(rules.stored_family)

    @field_validator("version")
    @classmethod
    def _stored_version(cls, value: Any, info: ValidationInfo) -> str:
        if not isinstance(value, str):
            raise Refusal(f"quote the version ({value!r}): YAML reads 2026.10 as the number 2026.1")
        expected = (info.context or {})["version"]
        if value != expected:
            raise Refusal(f"file declares version {value!r} but is stored under {expected!r}")
        return value


def build_family(raw: Any, source: str, family: str, version: str) -> FamilyDefinition:
    """The ``FamilyDefinition`` of the parsed file ``source``, stored as ``family`` of ``version``."""

    def build(data: Any) -> FamilyDefinition:
        model = FamilyModel.model_validate(data, context={"family": family, "version": version})
        natures = tuple(model.natures)
        forms = {fid: _build_form(fid, getattr(model.forms, fid), natures) for fid in FORM_IDS}
        return FamilyDefinition(family, version, model.label, MappingProxyType(model.natures), MappingProxyType(forms))

    return checked(build, raw, source, DefinitionError)


def _build_form(form_id: str, model: FormModel, natures: tuple[str, ...]) -> FormDefinition:
    titles = dict.fromkeys(DECLARATION_TYPES, model.title) | {t: v.title for t, v in model.variants.items()}
    sections: list[Section] = []
    seen_fields: set[str] = set()
    for s_index, section in enumerate(model.sections):
        where = ("forms", form_id, "sections", s_index)
        if any(s.id == section.id for s in sections):
            raise Refusal(f"duplicate section id {section.id!r}", *where, "id")
        fields = []
        for f_index, field in enumerate(section.fields):
            if field.id in seen_fields:
                raise Refusal(f"duplicate field id {field.id!r} in form {form_id!r}", *where, "fields", f_index)
            seen_fields.add(field.id)
            fields.append(_build_field(field, natures, (*where, "fields", f_index)))
        sections.append(Section(section.id, section.label, tuple(fields)))
    form = FormDefinition(form_id, model.title, MappingProxyType(titles), tuple(sections), natures)
    try:
        form = _bind(form)
        check_references(form)
        return dataclasses.replace(form, computed_order=computed_order(form))
    except DefinitionError as error:
        raise Refusal(str(error), "forms", form_id) from None


def _build_field(model: FieldModel, natures: tuple[str, ...], where: tuple[str | int, ...]) -> FieldDefinition:
    if model.natures is not None:
        unknown = [n for n in model.natures if n not in natures]
        if unknown:
            raise Refusal(f"unknown nature(s) {unknown}; the family has {list(natures)}", *where, "natures")
    low, high = model.bounds
    return FieldDefinition(
        id=model.id,
        label=model.label,
        type=model.type,
        unit=model.unit,
        min=low,
        max=high,
        required=model.required,
        natures=tuple(dict.fromkeys(model.natures)) if model.natures is not None else None,
        computed=model.computed.source if model.computed else None,
        help=model.help,
        expression=model.computed,
    )


def _bind(form: FormDefinition) -> FormDefinition:
    ids = list(form.fields)
    sections = tuple(Section(s.id, s.label, tuple(_bind_field(f, ids) for f in s.fields)) for s in form.sections)
    return dataclasses.replace(form, sections=sections)


def _bind_field(field: FieldDefinition, ids: list[str]) -> FieldDefinition:
    if field.expression is None:
        return field
    return dataclasses.replace(field, expression=field.expression.bind(ids, field.id))
