"""The estimated subsidy of a declaration, asked of the estimation service over request/reply.

Never zero when it cannot be computed: an unreachable service or incomplete figures give an answer that
says the estimate is unavailable and why, so that nobody mistakes a missing estimate for a nil one.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from afas_shared.contracts.rpc.estimation import EstimateRequestV1
from afas_shared.messaging.rpc import RemoteError, ServiceUnavailable
from afas_shared.runtime import ServiceRuntime

UNREACHABLE = "Estimation indisponible : le service d'estimation ne répond pas pour le moment."


def figures_as_strings(figures: Mapping[str, Any]) -> dict[str, str]:
    """Figures as they travel: decimals as plain strings, booleans as "true"/"false", empty ones left out."""
    plain: dict[str, str] = {}
    for key, value in figures.items():
        if value is None:
            continue
        if isinstance(value, bool):
            plain[key] = "true" if value else "false"
        elif isinstance(value, Decimal):
            plain[key] = format(value, "f")
        else:
            plain[key] = str(value)
    return plain


async def estimate(
    runtime: ServiceRuntime,
    *,
    family: str,
    nature: str,
    declaration_type: str,
    exercice: int,
    caf_code: str,
    figures: Mapping[str, Any],
    labels: Mapping[str, str] | None = None,
    activity_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    labels = labels or {}
    request = EstimateRequestV1(
        family=family,
        nature=nature,
        declaration_type=declaration_type,
        exercice=exercice,
        caf_code=caf_code,
        figures=figures_as_strings(figures),
    )
    if activity_id is not None:  # selects the territory the Caf assigned the activity to (PSU bonus territoire)
        request.activity_id = str(activity_id)
    payload = request.model_dump(mode="json", by_alias=True, exclude_unset=True)
    try:
        # the calculation has its own budget (AFAS_DECLARATION_ESTIMATE_RPC_TIMEOUT_SECONDS)
        reply = await runtime.request("estimation", "estimate", payload)
    except ServiceUnavailable:
        return {"disponible": False, "message": UNREACHABLE}
    except RemoteError as exc:
        return {"disponible": False, "message": f"Estimation indisponible : {in_words(str(exc.detail), labels)}"}
    return {"disponible": True, **reply["result"]}


def in_words(message: str, labels: Mapping[str, str]) -> str:
    """Estimation names the figures by their ids; the partner reads them by their labels on the forms."""
    if not labels:
        return message
    pattern = re.compile(r"\b(" + "|".join(re.escape(key) for key in sorted(labels, key=len, reverse=True)) + r")\b")
    return pattern.sub(lambda match: f"« {labels[match.group(1)]} »", message)
