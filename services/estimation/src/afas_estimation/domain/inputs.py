"""The figures of a declaration, read from the strings they travel as, and checked before any rule runs.

Field ids are those of the declaration forms (activity fields already summed over sites, financial fields).
Checks here are the ones every family shares: a number that is not one, a negative count or amount, a
share above 100 %. Each rule adds what it requires and its own impossibilities.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from afas_estimation.domain.parameters.model import Value

BOOLEAN_FIELDS = frozenset({"couches_fournies", "repas_fournis", "missions_renforcees", "territoire_ctg"})
TEXT_FIELDS = frozenset({"annee_scolaire"})
SHARE_FIELDS = frozenset({"part_regime_general"})  # a share of users: above 100 % is impossible (unlike a billing rate)
SIGNED_FIELDS = frozenset({"resultat"})  # a deficit is a negative result, not an impossible one

_TRUE = {"true", "oui", "1", "vrai"}
_FALSE = {"false", "non", "0", "faux"}

Figures = dict[str, Value | str]


def read_figures(raw: Mapping[str, Any]) -> tuple[Figures, list[tuple[str, str]]]:
    """Typed figures and the impossible ones as ``(field, French reason)``; empty strings count as absent."""
    figures: Figures = {}
    problems: list[tuple[str, str]] = []
    for field, text in raw.items():
        text = "" if text is None else str(text).strip()
        if not text:
            continue
        value, problem = _read(field, text)
        if problem:
            problems.append((field, problem))
        else:
            figures[field] = value
    _derive_total_charges(figures)
    return figures, problems


def _read(field: str, text: str) -> tuple[Value | str, str | None]:
    if field in BOOLEAN_FIELDS:
        lowered = text.lower()
        if lowered in _TRUE or lowered in _FALSE:
            return lowered in _TRUE, None
        return text, "valeur attendue : oui ou non."
    if field in TEXT_FIELDS:
        return text, None
    try:
        number = Decimal(text.replace(" ", "").replace("\u00a0", "").replace(",", "."))
    except InvalidOperation:
        return text, f"« {text} » n'est pas un nombre."
    if not number.is_finite():
        return text, f"« {text} » n'est pas un nombre."
    if number < 0 and field not in SIGNED_FIELDS:
        return number, "une valeur négative est impossible."
    if field in SHARE_FIELDS and number > 100:
        return number, "un pourcentage ne peut pas dépasser 100 %."
    return number, None


def _derive_total_charges(figures: Figures) -> None:
    """The form computes total_charges as the sum of the charges_* accounts; do the same when it was not sent."""
    if "total_charges" in figures:
        return
    accounts = [v for k, v in figures.items() if k.startswith("charges_") and isinstance(v, Decimal)]
    if accounts:
        figures["total_charges"] = sum(accounts, Decimal(0))
