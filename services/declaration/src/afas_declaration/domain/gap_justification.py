"""Which validation may carry the agent's acceptance of a forecast/actual gap justification (issue 18).

Estimation reads the acceptance at the validation of a réelle (the gap of its exercice, or of the next forecast
against it), and at the validation of a prévisionnelle only when the Caf's cap compares the forecast N with the
actual N-1; an actualisée's validation carries none. The instruction page offers the box only where it counts.
"""

from __future__ import annotations

from typing import Literal

GapCompared = Literal["previsionnel_reel_exercice", "previsionnel_n_reel_n_1"]
UNKNOWN = "inconnu"  # the Caf's payment policy not read (the instruction page): no threshold named

GAPS: dict[str, str] = {
    "reelle": "entre le prévisionnel et ce réel",
    "previsionnelle": "entre ce prévisionnel et le réel de l'exercice précédent",
}


def gap_justification_label(declaration_type: str, compared: str | None, threshold: str = "") -> str | None:
    """The box's label on this declaration's validation, or None when no acceptance would count there.

    ``compared``: the gap the Caf's cap compares (``GapCompared``), None when its payment policy caps nothing,
    ``UNKNOWN`` when the policy is not read (then both the réelle and the prévisionnelle offer it)."""
    if compared is None or declaration_type not in GAPS:
        return None
    if declaration_type == "previsionnelle" and compared == "previsionnel_reel_exercice":
        return None
    over = f" de plus de {threshold} %" if threshold and compared != UNKNOWN else ""
    return f"J'accepte la justification d'un écart{over} {GAPS[declaration_type]}"


NOT_READ_THERE = (
    "L'acceptation d'une justification d'écart se donne à la validation d'une déclaration réelle ou prévisionnelle : "
    "une déclaration actualisée n'en porte pas. Validez-la sans justification_ecart_acceptee."
)


def acceptance_refusal(declaration_type: str) -> str | None:
    """What a validation carrying the acceptance is answered on this type of declaration (None: estimation reads it
    there) — by the rule the instruction page offers the box with (``gap_justification_label``)."""
    return None if gap_justification_label(declaration_type, UNKNOWN) is not None else NOT_READ_THERE
