"""Declaration forms as data: one YAML file per PS family and campaign version, checked on load.

``definitions/<version>/<family>.yaml`` holds the ``activite`` and ``financier`` forms of a family: sections of
typed fields, the natures each field applies to, and the computed fields (totals, ratios) written as small
arithmetic expressions (see ``expressions``). Totals are computed here, never typed by the user.
"""

from afas_declaration.domain.forms.expressions import Expression, ExpressionError, evaluate, parse_expression
from afas_declaration.domain.forms.loader import (
    CURRENT_VERSION,
    UnknownDefinition,
    available_families,
    available_versions,
    load_definition,
)
from afas_declaration.domain.forms.model import (
    DECLARATION_TYPES,
    FIELD_TYPES,
    FORM_IDS,
    DefinitionError,
    FamilyDefinition,
    FieldDefinition,
    FormDefinition,
    Section,
    fields_for,
    sections_for,
)
from afas_declaration.domain.forms.values import FieldProblem, coerce, missing_required, validate_values

__all__ = [
    "CURRENT_VERSION",
    "DECLARATION_TYPES",
    "FIELD_TYPES",
    "FORM_IDS",
    "DefinitionError",
    "Expression",
    "ExpressionError",
    "FamilyDefinition",
    "FieldDefinition",
    "FieldProblem",
    "FormDefinition",
    "Section",
    "UnknownDefinition",
    "available_families",
    "available_versions",
    "coerce",
    "evaluate",
    "fields_for",
    "load_definition",
    "missing_required",
    "parse_expression",
    "sections_for",
    "validate_values",
]
