"""Coherence controls as data: one YAML file per PS family and campaign version, checked on load.

``definitions/<version>/<family>.yaml`` lists the family's controls. Each has an ``id``, a ``severity``
(``blocking``: the declaration cannot be transmitted; ``flagged``: plausible but unusual, to be justified with
text and figures), a ``scope``, a French ``label``, a ``measure`` and a threshold (``min``, ``max`` or both; a
number or an expression; ``strict: true`` makes the bound itself an anomaly), a ``unit``, and a French
``message`` template quoting ``{mesure}`` and a threshold (``{seuil}``: the bound crossed, or the nearest one;
``{min}``, ``{max}``) and any figure it reads (``{heures_realisees}``), all formatted in French. ``natures``
and ``types`` (declaration types) restrict where it applies. Measures and thresholds are expressions of the
forms' language (``afas_declaration.domain.forms.expressions``: Decimal arithmetic, None on a division by zero).

Names, by ``scope``:

- ``activite``: the fields of one site's activity form (the control runs once per site);
- ``financier``: the fields of the financial form (not run when that form is not requested);
- ``declaration``: the declaration's figures (``afas_declaration.domain.figures``: activity summed over sites,
  financial form merged in), plus
  ``precedent_<id>``: the same figure in the previous declaration of the same activity,
  ``previsionnel_<id>``: the same figure in the forecast of the same exercice;
- every scope: ``reference_<id>``: a reference value declared under ``references:`` in the file (a ceiling of
  the barèmes, e.g. ``reference_prix_plafond``), passed in by the caller.

An empty input (or one built from empty inputs, like a ratio of an empty field) makes the control
``non_evalue``, never a failure: absent previous figures, forecast or references simply skip the comparison.
``empty_as_zero: true`` reads empty inputs as 0 instead, for sums of optional amounts.

Two blocking controls come from the forms themselves and are never written in YAML: ``champ_obligatoire``
(one result per required field left empty) and ``valeur_invalide`` (one per value the form refuses, which
includes negative hours, places and charges).
"""

from afas_declaration.domain.controls.evaluation import evaluate_control, run_controls
from afas_declaration.domain.controls.french import french_number
from afas_declaration.domain.controls.justification import (
    MIN_MEANINGFUL_CHARACTERS,
    Justification,
    check_justification,
    control_key,
    unjustified,
)
from afas_declaration.domain.controls.loader import (
    UnknownControls,
    available_families,
    available_versions,
    load_controls,
)
from afas_declaration.domain.controls.model import (
    DERIVED_CONTROLS,
    FORECAST_PREFIX,
    INVALID_CONTROL,
    PREVIOUS_PREFIX,
    REFERENCE_PREFIX,
    REQUIRED_CONTROL,
    SCOPES,
    SEVERITIES,
    STATUSES,
    ControlDefinition,
    ControlDefinitionError,
    ControlResult,
    ControlSet,
    ReferenceDefinition,
)

__all__ = [
    "DERIVED_CONTROLS",
    "FORECAST_PREFIX",
    "INVALID_CONTROL",
    "MIN_MEANINGFUL_CHARACTERS",
    "PREVIOUS_PREFIX",
    "REFERENCE_PREFIX",
    "REQUIRED_CONTROL",
    "SCOPES",
    "SEVERITIES",
    "STATUSES",
    "ControlDefinition",
    "ControlDefinitionError",
    "ControlResult",
    "ControlSet",
    "Justification",
    "ReferenceDefinition",
    "UnknownControls",
    "available_families",
    "available_versions",
    "check_justification",
    "control_key",
    "evaluate_control",
    "french_number",
    "load_controls",
    "run_controls",
    "unjustified",
]
