"""The names a control expression may read, per scope, and what each one means (label, unit, source field)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from afas_declaration.domain.controls.model import (
    FORECAST_PREFIX,
    PREVIOUS_PREFIX,
    REFERENCE_PREFIX,
    ReferenceDefinition,
)
from afas_declaration.domain.forms.model import FamilyDefinition, FieldDefinition

_SUFFIX = {PREVIOUS_PREFIX: " (déclaration précédente)", FORECAST_PREFIX: " (prévisionnel)"}


@dataclass(frozen=True)
class Name:
    name: str
    # "" for the declaration's own figures, else one of the prefixes
    prefix: str
    field: FieldDefinition | None = None
    reference: ReferenceDefinition | None = None

    @property
    def label(self) -> str:
        if self.reference is not None:
            return self.reference.label
        assert self.field is not None
        return self.field.label + _SUFFIX.get(self.prefix, "")

    @property
    def unit(self) -> str | None:
        return self.reference.unit if self.reference is not None else self.field.unit if self.field else None

    @property
    def field_id(self) -> str | None:
        return self.field.id if self.field is not None else None


def scope_fields(forms: FamilyDefinition, scope: str) -> Mapping[str, FieldDefinition]:
    """The form fields a control of ``scope`` reads: one form, or both for the whole declaration."""
    if scope in forms.forms:
        return forms.forms[scope].fields
    return forms.declaration_fields


def resolve(
    name: str, scope: str, forms: FamilyDefinition, references: Mapping[str, ReferenceDefinition]
) -> Name | None:
    """What ``name`` means in a control of ``scope``, or None if it means nothing there."""
    if name.startswith(REFERENCE_PREFIX):
        reference = references.get(name.removeprefix(REFERENCE_PREFIX))
        return Name(name, REFERENCE_PREFIX, reference=reference) if reference else None
    fields = scope_fields(forms, scope)
    prefix = ""
    # Previous and forecast figures are whole-declaration figures, so only a declaration control compares them
    if scope == "declaration":
        prefix = next((p for p in (PREVIOUS_PREFIX, FORECAST_PREFIX) if name.startswith(p)), "")
    field = fields.get(name.removeprefix(prefix))
    return Name(name, prefix, field=field) if field is not None else None


def named_inputs(names: Iterable[str], fields: Mapping[str, FieldDefinition]) -> list[str]:
    """``names`` followed by the fields the computed ones among them are built from by name, transitively.

    Sum members (``sum("charges_*")``) are left out: an empty account line is a legitimate zero, whereas a
    product or a ratio of an empty field is no figure at all.
    """
    found: list[str] = []
    pending = list(names)
    while pending:
        name = pending.pop(0)
        if name in found:
            continue
        found.append(name)
        field = fields.get(name)
        if field is not None and field.expression is not None:
            pending.extend(sorted(field.expression.names))
    return found
