"""Check what a user typed in a form against its definition, and fill in the computed fields.

Totals are computed, never typed: a value sent for a computed field is refused rather than silently replaced,
so a client that computes its own total learns it is being ignored. Required fields are checked apart
(``missing_required``) because a draft may be saved incomplete.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from afas_declaration.domain.forms.expressions import evaluate
from afas_declaration.domain.forms.model import FieldDefinition, FormDefinition, fields_for

Value = Decimal | bool | str | None

TEXT_MAX = 2000
_DECIMALS = {"integer": 0, "decimal": 2, "percent": 2, "hours": 2, "euros": 2}
_MAX_DIGITS = 15
# Spaces a French user (or a spreadsheet paste) puts between thousands: space, no-break, narrow no-break
_THOUSANDS = re.compile(r"[ \u00a0\u202f]")
_NUMBER = re.compile(r"[+-]?[0-9]+(\.[0-9]+)?")
_YES = {"oui", "true", "vrai", "1"}
_NO = {"non", "false", "faux", "0"}


@dataclass(frozen=True)
class FieldProblem:
    field_id: str
    message: str


def validate_values(
    form: FormDefinition, nature: str, values: Mapping[str, Any]
) -> tuple[dict[str, Value], list[FieldProblem]]:
    """Cleaned values (computed fields included, in dependency order) and the problems found in ``values``."""
    if nature not in form.natures:
        raise ValueError(f"unknown nature {nature!r} for form {form.id!r}; expected one of {list(form.natures)}")
    applicable = {f.id: f for f in fields_for(form, nature)}
    cleaned: dict[str, Value] = {}
    problems: list[FieldProblem] = []
    for field_id, raw in values.items():
        field = form.fields.get(field_id)
        if field is None:
            problems.append(FieldProblem(field_id, "Ce champ n'existe pas dans ce formulaire."))
        elif field_id not in applicable:
            message = f"Le champ « {field.label} » ne concerne pas cette nature d'activité."
            problems.append(FieldProblem(field_id, message))
        elif field.is_computed:
            problems.append(FieldProblem(field_id, "Ce champ est calculé, il ne se saisit pas."))
        else:
            value, error = coerce(field, raw)
            if error is None:
                cleaned[field_id] = value
            else:
                problems.append(FieldProblem(field_id, error))
    _fill_computed(form, applicable, cleaned)
    return cleaned, problems


def _fill_computed(form: FormDefinition, applicable: Mapping[str, FieldDefinition], cleaned: dict[str, Value]) -> None:
    # Cleared inputs are left out so that they count as 0; a computed None stays in, so it propagates.
    numbers: dict[str, Decimal | None] = {k: v for k, v in cleaned.items() if isinstance(v, Decimal)}
    for field_id in form.computed_order:
        field = applicable.get(field_id)
        if field is None or field.expression is None:
            continue
        result = evaluate(field.expression, numbers)
        if result is not None:
            # Rounded like a figure printed on the form, so that what is shown is what later totals add up
            try:
                result = result.quantize(Decimal(1).scaleb(-_DECIMALS[field.type]), rounding=ROUND_HALF_UP)
            except InvalidOperation:
                result = None
        numbers[field_id] = result
        cleaned[field_id] = result


def missing_required(form: FormDefinition, nature: str, values: Mapping[str, Any]) -> list[FieldProblem]:
    """The required fields of ``nature`` left empty in ``values`` (raw or cleaned), in display order."""
    return [
        FieldProblem(f.id, "Ce champ est obligatoire.")
        for f in fields_for(form, nature)
        if f.required and not f.is_computed and _is_empty(values.get(f.id))
    ]


def _is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def coerce(field: FieldDefinition, raw: Any) -> tuple[Value, str | None]:
    """The typed value of ``raw`` for ``field``, or None and a French message naming the field."""
    if _is_empty(raw):
        return None, None
    if field.type == "boolean":
        return _boolean(field, raw)
    if field.type == "text":
        if not isinstance(raw, str):
            return None, f"« {field.label} » : saisissez un texte."
        text = raw.strip()
        if len(text) > TEXT_MAX:
            return None, f"« {field.label} » : {TEXT_MAX} caractères au plus."
        return text, None
    number = _number(raw)
    if number is None:
        return None, f"« {field.label} » : saisissez un nombre (par exemple 1234,50)."
    return _check_number(field, number)


def _boolean(field: FieldDefinition, raw: Any) -> tuple[Value, str | None]:
    if isinstance(raw, bool):
        return raw, None
    if isinstance(raw, str) and raw.strip().lower() in _YES | _NO:
        return raw.strip().lower() in _YES, None
    return None, f"« {field.label} » : répondez par oui ou par non."


def _number(raw: Any) -> Decimal | None:
    # bool is an int in Python, but True is not a number of hours
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int | Decimal):
        number = Decimal(raw)
    elif isinstance(raw, float):
        number = Decimal(repr(raw))  # repr: shortest text that round-trips, so 0.1 stays 0.1
    elif isinstance(raw, str):
        text = _THOUSANDS.sub("", raw.strip())
        if "," in text and "." in text:
            return None  # "1.234,56" or "1,234.56": ambiguous, better asked again than misread
        text = text.replace(",", ".")
        if not _NUMBER.fullmatch(text):
            return None
        number = Decimal(text)
    else:
        return None
    if not number.is_finite() or number.adjusted() >= _MAX_DIGITS:
        return None
    return number


def _check_number(field: FieldDefinition, number: Decimal) -> tuple[Value, str | None]:
    label = field.label
    decimals = _DECIMALS[field.type]
    if number != number.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP):
        if decimals == 0:
            return None, f"« {label} » : saisissez un nombre entier."
        return None, f"« {label} » : {decimals} décimales au plus."
    if field.min is not None and number < field.min:
        return None, f"« {label} » : la valeur doit être supérieure ou égale à {_french(field.min, field.unit)}."
    if field.max is not None and number > field.max:
        return None, f"« {label} » : la valeur doit être inférieure ou égale à {_french(field.max, field.unit)}."
    return (number.to_integral_value() if decimals == 0 else number), None


def _french(number: Decimal, unit: str | None) -> str:
    text = format(number, "f").replace(".", ",")
    return f"{text} {unit}" if unit else text
