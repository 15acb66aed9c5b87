"""What changed between two transmitted versions of a declaration, as the Caf agent reads it side by side.

Both versions are frozen snapshots (``transmission.snapshot``): forms with their site, sections and fields, each field
with its label, value, unit and type. A field is matched across versions by its form, site and id, so a field moved
to another section still compares; a form present in one version only (a site added or closed) shows each of its
filled fields as added or removed. Values compare as written in the snapshot (a figure's text, a yes/no), so
« 63000 » against « 63000.00 » counts as a change only when the stored values differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any


@dataclass(frozen=True)
class FieldChange:
    form: str  # « Données d'activité – site Les Lutins »
    label: str
    before: Any
    after: Any
    unit: str | None
    kind: str  # the field's type: how the page prints both values


def _same(before: Any, after: Any) -> bool:
    if before == after:
        return True
    if isinstance(before, bool) or isinstance(after, bool) or before in (None, "") or after in (None, ""):
        return before in (None, "") and after in (None, "")
    try:
        return Decimal(str(before)) == Decimal(str(after))
    except InvalidOperation:
        return False


def _fields(snapshot: dict[str, Any]) -> dict[tuple[str, str | None, str], tuple[str, dict[str, Any]]]:
    found = {}
    for form in snapshot.get("formulaires") or []:
        title = form.get("titre") or ""
        place = f"{title} – site {form['lieu']}" if form.get("lieu") else title
        for section in form.get("sections") or []:
            for field in section.get("champs") or []:
                found[(form.get("type") or "", form.get("lieu"), field["id"])] = (place, field)
    return found


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    """Every field whose value differs from ``before`` to ``after``, in the order of ``after``'s forms (then the
    fields ``after`` no longer has)."""
    old, new = _fields(before), _fields(after)
    found = []
    for key, (place, field) in new.items():
        previous = old.get(key, (place, {}))[1].get("valeur")
        if not _same(previous, field.get("valeur")):
            found.append(
                FieldChange(place, field["libelle"], previous, field.get("valeur"), field.get("unite"), field["type"])
            )
    for key, (place, field) in old.items():
        if key not in new and field.get("valeur") not in (None, ""):
            found.append(FieldChange(place, field["libelle"], field["valeur"], None, field.get("unite"), field["type"]))
    return found
