"""What a loaded form definition is: immutable values built from the YAML data by the loader."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property

from afas_declaration.domain.forms.expressions import Expression

FIELD_TYPES = ("integer", "decimal", "percent", "hours", "euros", "boolean", "text")
NUMERIC_TYPES = frozenset({"integer", "decimal", "percent", "hours", "euros"})
DECLARATION_TYPES = ("previsionnelle", "reelle", "actualisee_juin", "actualisee_septembre")
FORM_IDS = ("activite", "financier")


class DefinitionError(ValueError):
    """A form definition file is missing or malformed; the message says which file and where."""


@dataclass(frozen=True)
class FieldDefinition:
    id: str
    label: str
    type: str
    unit: str | None = None
    min: Decimal | None = None
    max: Decimal | None = None
    required: bool = False
    # None: the field applies to every nature of the family
    natures: tuple[str, ...] | None = None
    computed: str | None = None
    help: str | None = None
    expression: Expression | None = field(default=None, repr=False, compare=False)

    @property
    def is_computed(self) -> bool:
        return self.computed is not None

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES

    def applies_to(self, nature: str) -> bool:
        return self.natures is None or nature in self.natures


@dataclass(frozen=True)
class Section:
    id: str
    label: str
    fields: tuple[FieldDefinition, ...]


@dataclass(frozen=True)
class FormDefinition:
    id: str
    title: str
    # one title per declaration type: a financial form is a "Budget prévisionnel" or a "Compte de résultat"
    title_by_type: Mapping[str, str]
    sections: tuple[Section, ...]
    natures: tuple[str, ...]
    # computed field ids, each one after every computed field it depends on
    computed_order: tuple[str, ...] = ()

    def title_for(self, declaration_type: str) -> str:
        return self.title_by_type.get(declaration_type, self.title)

    @cached_property
    def fields(self) -> Mapping[str, FieldDefinition]:
        return {f.id: f for section in self.sections for f in section.fields}


@dataclass(frozen=True)
class FamilyDefinition:
    family: str
    version: str
    label: str
    natures: Mapping[str, str]
    forms: Mapping[str, FormDefinition]

    @cached_property
    def declaration_fields(self) -> Mapping[str, FieldDefinition]:
        """The fields of both forms, what a control of the whole declaration reads (merged once: controls ask it
        for every name they resolve, and merging per name was a tenth of the gateway's CPU at the deadline)."""
        return {**self.forms["activite"].fields, **self.forms["financier"].fields}


def fields_for(form: FormDefinition, nature: str) -> list[FieldDefinition]:
    """The fields of ``form`` shown for an activity of ``nature``, in display order."""
    return [f for section in form.sections for f in section.fields if f.applies_to(nature)]


def sections_for(form: FormDefinition, nature: str) -> list[Section]:
    """The sections of ``form`` for ``nature``, each keeping only its applicable fields; empty sections dropped."""
    kept = (Section(s.id, s.label, tuple(f for f in s.fields if f.applies_to(nature))) for s in form.sections)
    return [section for section in kept if section.fields]
