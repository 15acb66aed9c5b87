"""Justifications of flagged anomalies: before transmission, each one is explained « with text and figures ».

A justification is attached to a result by ``control_key`` (control id, then site, then form and field for the
derived controls), which stays the same from one run of the controls to the next as long as the anomaly does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from afas_declaration.domain.controls.model import DERIVED_CONTROLS, ControlResult
from afas_declaration.domain.forms.model import FieldDefinition
from afas_declaration.domain.forms.values import coerce

MIN_MEANINGFUL_CHARACTERS = 20

# The amount is read like any decimal form field (« 1 234,50 » included); it may be negative (a drop)
_AMOUNT = FieldDefinition(id="montant", label="Montant ou quantité", type="decimal", min=None)


@dataclass(frozen=True)
class Justification:
    text: str
    amount: Decimal


def control_key(result: ControlResult) -> str:
    """Unique within one run: ``taux_facturation``, ``taux_facturation@Les Lutins``, and for the derived
    controls the form and field too: ``champ_obligatoire@Les Lutins:activite.places``."""
    key = result.control_id
    if result.site:
        key += f"@{result.site}"
    if result.control_id in DERIVED_CONTROLS:
        key += f":{result.form}" + "".join(f".{field_id}" for field_id in result.field_ids)
    return key


def check_justification(text: Any, amount: Any) -> str | None:
    """None if the justification is acceptable, else what to fix, in French (the figure is checked first)."""
    value, message = coerce(_AMOUNT, amount)
    if message is not None:
        return message
    if value is None:
        return "Indiquez le montant ou la quantité qui explique l'écart."
    # Letters and digits only, so that a row of dots or spaces does not pass for an explanation
    meaningful = sum(1 for character in text if character.isalnum()) if isinstance(text, str) else 0
    if meaningful < MIN_MEANINGFUL_CHARACTERS:
        return f"Expliquez l'écart par un texte d'au moins {MIN_MEANINGFUL_CHARACTERS} lettres ou chiffres."
    return None


def unjustified(
    results: Iterable[ControlResult], justifications: Mapping[str, Justification | Mapping[str, Any]]
) -> list[ControlResult]:
    """The flagged anomalies without an acceptable justification, in the order of ``results``.

    A justification is a ``Justification`` or a mapping with ``text`` and ``amount`` (or ``texte`` and
    ``montant``, as stored in JSON).
    """
    missing = []
    for result in results:
        if not result.needs_justification:
            continue
        given = justifications.get(control_key(result))
        if given is None or check_justification(*_parts(given)) is not None:
            missing.append(result)
    return missing


def _parts(given: Justification | Mapping[str, Any]) -> tuple[Any, Any]:
    if isinstance(given, Justification):
        return given.text, given.amount
    return given.get("text", given.get("texte")), given.get("amount", given.get("montant"))
