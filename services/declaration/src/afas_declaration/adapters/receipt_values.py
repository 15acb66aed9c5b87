"""How the receipt writes declared values in French: numbers with no-break thousands, euros, percentages,
Oui/Non, dates and times in Paris time; « — » for an empty value."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from afas_declaration.domain.controls.french import french_number
from afas_shared.clock import PARIS
from afas_shared.french_plural import unit_for

NBSP = "\u00a0"
DASH = "—"
_DECIMALS = {"integer": 0, "decimal": 2, "percent": 2, "hours": 2, "euros": 2}
_DEFAULT_UNITS = {"euros": "€", "percent": "%", "hours": "h"}
_TRUE = {"true", "oui", "vrai", "1"}
_FALSE = {"false", "non", "faux", "0"}


def as_text(value: Any) -> str:
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)


def as_decimal(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    text = value.strip().replace(NBSP, "").replace(" ", "") if isinstance(value, str) else str(value)
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def format_number(value: Any, decimals: int | None = None) -> str | None:
    """``"12500.5"`` → ``"12 500,50"`` with ``decimals=2`` (no-break spaces); None when not a number.

    ``decimals=None`` keeps the precision the value was written with (a rate of 0.0125 stays 0,0125).
    """
    number = as_decimal(value)
    return None if number is None else french_number(number, decimals=decimals)


def with_unit(number: str, unit: str | None) -> str:
    """``number`` (French text) and its unit in agreement: « 1 place », « 40 places »."""
    return f"{number}{NBSP}{unit_for(number, unit)}" if unit else number


def format_euros(value: Any) -> str:
    number = format_number(value, 2)
    return with_unit(number, "€") if number is not None else (as_text(value) or DASH)


def format_value(value: Any, field_type: str | None = None, unit: str | None = None) -> str:
    """A declared value as printed on the receipt: French numbers with their unit, Oui/Non, "—" when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return DASH
    unit = unit or _DEFAULT_UNITS.get(field_type or "")
    if field_type == "boolean" or isinstance(value, bool):
        if isinstance(value, bool):
            return "Oui" if value else "Non"
        lowered = as_text(value).strip().lower()
        if lowered in _TRUE:
            return "Oui"
        if lowered in _FALSE:
            return "Non"
        return as_text(value)
    if field_type in _DECIMALS:
        number = format_number(value, _DECIMALS[field_type])
        return with_unit(number, unit) if number is not None else as_text(value)
    if isinstance(value, int | float | Decimal):  # a JSON number of another type: kept at its precision
        return with_unit(format_number(value) or as_text(value), unit)
    return as_text(value)


def format_measure(value: Any, unit: str | None) -> str:
    """An estimate step or parameter: French number at its own precision (money at the cent), with its unit.

    A ratio (unit ``/1``) prints as a percentage (``0.3`` → ``30 %``), a yes/no value as Oui/Non.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return DASH
    if isinstance(value, bool) or as_text(value).strip().lower() in ("true", "false"):
        return "Oui" if as_text(value).strip().lower() == "true" else "Non"
    if unit and unit.strip() == "/1":
        number = as_decimal(value)
        if number is not None:
            return with_unit(french_number((number * 100).normalize(), decimals=None), "%")
    decimals = 2 if unit and unit.strip().startswith("€") else None
    number = format_number(value, decimals)
    return with_unit(number if number is not None else as_text(value), unit)


def format_in_unit(value: Any, unit: str | None) -> str:
    """A justification figure in its control's unit: money at the cent, hours and percentages at two places."""
    unit = (unit or "").strip() or None
    if unit in ("€", "h", "%"):
        number = format_number(value, 2)
        return with_unit(number, unit) if number is not None else (as_text(value) or DASH)
    number = format_number(value)
    return with_unit(number, unit) if number is not None else (as_text(value) or DASH)


def format_day(value: Any) -> str:
    try:
        return date.fromisoformat(as_text(value)[:10]).strftime("%d/%m/%Y")
    except ValueError:
        return as_text(value) or DASH


def as_instant(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(as_text(value))
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=PARIS)


def paris_parts(moment: datetime | None) -> tuple[str, str] | None:
    """(day, time) of ``moment`` in Paris: ("10/02/2026", "14:32:05")."""
    if moment is None:
        return None
    local = moment.astimezone(PARIS)
    return local.strftime("%d/%m/%Y"), local.strftime("%H:%M:%S")


def as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, Sequence) and not isinstance(value, str | bytes) else []


# --- the document ---------------------------------------------------------------------------------------
