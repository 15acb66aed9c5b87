"""Blocking controls derived from the form definitions themselves, so that the YAML never repeats them.

- ``champ_obligatoire``: one anomaly per required field left empty, naming the field and the form (and site);
- ``valeur_invalide``: one anomaly per value the form refuses — not a number, too many decimals, or outside the
  field's bounds, which is how negative hours, places or charges are caught (numeric fields default to
  ``min: 0`` in the forms).

A form with nothing to report gets one ``ok`` result per control, so the recap shows the check was made.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from afas_declaration.domain.controls.model import INVALID_CONTROL, REQUIRED_CONTROL, ControlResult
from afas_declaration.domain.forms.model import FormDefinition
from afas_declaration.domain.forms.values import FieldProblem, missing_required

REQUIRED_LABEL = "Champs obligatoires"
INVALID_LABEL = "Valeurs saisies"


def form_place(form: FormDefinition, declaration_type: str, site: str | None) -> str:
    """The form as the user knows it: « Compte de résultat », « Données d'activité – site Les Lutins »."""
    title = form.title_for(declaration_type)
    return f"{title} – site {site}" if site else title


def form_checks(
    form: FormDefinition,
    nature: str,
    declaration_type: str,
    raw_values: Mapping[str, Any],
    problems: list[FieldProblem],
    site: str | None,
) -> list[ControlResult]:
    """The required-field and valid-value results of one form (one site's activity form, or the financial form)."""
    place = form_place(form, declaration_type, site)

    def result(control_id: str, label: str, message: str, field_id: str | None = None) -> ControlResult:
        status, field_ids = ("anomalie", (field_id,)) if field_id else ("ok", ())
        return ControlResult(
            control_id, "blocking", status, form.id, site, label, f"{place} : {message}", None, None, None, field_ids
        )

    required = [
        result(
            REQUIRED_CONTROL,
            REQUIRED_LABEL,
            f"le champ « {form.fields[p.field_id].label} » est obligatoire.",
            p.field_id,
        )
        for p in missing_required(form, nature, raw_values)
    ]
    invalid = [result(INVALID_CONTROL, INVALID_LABEL, _naming(form, p), p.field_id) for p in problems]
    return (required or [result(REQUIRED_CONTROL, REQUIRED_LABEL, "tous les champs obligatoires sont remplis.")]) + (
        invalid or [result(INVALID_CONTROL, INVALID_LABEL, "toutes les valeurs saisies sont valides.")]
    )


def _naming(form: FormDefinition, problem: FieldProblem) -> str:
    # Most form messages already start with « label »; the others get it, or the raw id of an unknown field
    if problem.message.startswith("«"):
        return problem.message
    field = form.fields.get(problem.field_id)
    name = field.label if field is not None else problem.field_id
    return f"« {name} » : {problem.message[0].lower()}{problem.message[1:]}"
