"""The ``estimate`` request: a stateless computation from the declared figures to an explained amount.

Payload ``{family, nature, declaration_type, exercice, caf_code, figures: {field_id: str}}``. The declaration type
and Caf code are echoed back (barèmes are national; local Caf parameters would be read here when they exist).
"""

from __future__ import annotations

from typing import Any

from afas_estimation.domain.estimate import estimate as compute_estimate
from afas_estimation.domain.explanation import estimate_json

DECLARATION_TYPES = frozenset({"previsionnelle", "reelle", "actualisee_juin", "actualisee_septembre"})


class InvalidRequest(ValueError):
    """The request itself is malformed (not the figures): French message and field at fault."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def estimate(payload: dict[str, Any]) -> dict[str, Any]:
    """The explained estimate; raise ``EstimationError`` (family, nature, period, figures) or ``InvalidRequest``."""
    figures = payload.get("figures")
    if figures is None:
        figures = {}
    if not isinstance(figures, dict):
        raise InvalidRequest("Les données de la déclaration (figures) doivent être un objet champ → valeur.", "figures")
    declaration_type = payload.get("declaration_type")
    if declaration_type is not None and declaration_type not in DECLARATION_TYPES:
        raise InvalidRequest(f"Type de déclaration inconnu : {declaration_type!r}.", "declaration_type")
    result = compute_estimate(payload.get("family"), payload.get("nature"), payload.get("exercice"), figures)
    return {
        **estimate_json(result),
        "type_declaration": declaration_type,
        "caf_code": payload.get("caf_code"),
    }
