"""What a loaded set of coherence controls is: immutable values built from the YAML data by the loader."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from afas_declaration.domain.forms.expressions import Expression
from afas_declaration.domain.forms.model import DefinitionError, FamilyDefinition

SEVERITIES = ("blocking", "flagged")
SCOPES = ("activite", "financier", "declaration")
STATUSES = ("ok", "anomalie", "non_evalue")

# Prefixes of the names a declaration-scope control may read besides the declaration's own figures
PREVIOUS_PREFIX = "precedent_"
FORECAST_PREFIX = "previsionnel_"
REFERENCE_PREFIX = "reference_"

# Controls derived from the form definitions, not written in the controls YAML
REQUIRED_CONTROL = "champ_obligatoire"
INVALID_CONTROL = "valeur_invalide"
DERIVED_CONTROLS = (REQUIRED_CONTROL, INVALID_CONTROL)


class ControlDefinitionError(DefinitionError):
    """A controls file is missing or malformed; the message names the file and the control."""


@dataclass(frozen=True)
class ReferenceDefinition:
    """A reference value the caller passes in (a ceiling from the barèmes), read as ``reference_<id>``."""

    id: str
    label: str
    unit: str | None = None


@dataclass(frozen=True)
class ControlDefinition:
    id: str
    severity: str
    scope: str
    label: str
    measure: Expression
    message: str
    minimum: Expression | None = None
    maximum: Expression | None = None
    # True: the bounds themselves are anomalies (``min: 0`` with strict means "strictly positive")
    strict: bool = False
    unit: str | None = None
    decimals: int = 2
    # True: an empty input counts as 0, for sums of optional amounts where "nothing typed" means zero
    empty_as_zero: bool = False
    # None: every nature of the family, every declaration type
    natures: tuple[str, ...] | None = None
    declaration_types: tuple[str, ...] | None = None

    def applies_to(self, nature: str, declaration_type: str) -> bool:
        return (self.natures is None or nature in self.natures) and (
            self.declaration_types is None or declaration_type in self.declaration_types
        )


@dataclass(frozen=True)
class ControlSet:
    """The controls of one family and campaign version, with the forms their names were checked against."""

    forms: FamilyDefinition
    references: Mapping[str, ReferenceDefinition]
    controls: tuple[ControlDefinition, ...]

    @property
    def family(self) -> str:
        return self.forms.family

    @property
    def version(self) -> str:
        return self.forms.version


@dataclass(frozen=True)
class ControlResult:
    control_id: str
    severity: str
    status: str
    # "activite" | "financier" | None for a control over the whole declaration
    form: str | None
    site: str | None
    label: str
    message: str
    measured: Decimal | None = None
    threshold: Decimal | None = None
    unit: str | None = None
    field_ids: tuple[str, ...] = ()

    @property
    def is_anomaly(self) -> bool:
        return self.status == "anomalie"

    @property
    def needs_justification(self) -> bool:
        return self.status == "anomalie" and self.severity == "flagged"
