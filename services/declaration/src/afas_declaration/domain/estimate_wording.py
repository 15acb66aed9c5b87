"""How an estimate is named wherever it is shown (partner's pages, Caf's pages, the receipt).

An amount that covers only part of the rule — a bonus left out for want of figures (estimation's ``partielle``,
``parties_non_calculees``) — is never shown as the prestation: it is the « Montant estimé partiel », and says what
it leaves out. The estimate's own ``avertissements`` (partial, provisional, unsourced values) are plain French
without parameter codes, shown as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PRESTATION_LABEL = "Prestation de service estimée"
PARTIAL_LABEL = "Montant estimé partiel"


def uncomputed_parts(estimate: Mapping[str, Any] | None) -> list[str]:
    parts = (estimate or {}).get("parties_non_calculees")
    return [str(p) for p in parts if str(p).strip()] if isinstance(parts, list) else []


def is_partial(estimate: Mapping[str, Any] | None) -> bool:
    """An available estimate that covers only part of the rule."""
    if not isinstance(estimate, Mapping) or not estimate.get("disponible"):
        return False
    return bool(estimate.get("partielle")) or bool(uncomputed_parts(estimate))


def partial_notice(estimate: Mapping[str, Any] | None) -> str:
    parts = uncomputed_parts(estimate)
    return (
        "Estimation partielle : ce montant ne couvre qu'une partie de la prestation"
        + (" ; non calculé faute de données : " + ", ".join(parts) if parts else "")
        + "."
    )


def warnings(estimate: Mapping[str, Any] | None) -> list[str]:
    found = (estimate or {}).get("avertissements")
    return [str(w).strip() for w in found if str(w).strip()] if isinstance(found, list) else []
