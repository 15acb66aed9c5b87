"""A partner's data for a data-protection request: everything the services hold about it and its users, as the
operator reads it through the gateway (each service answering for its own data, under its own authorization).

identity: the partner, its users, its conventions, its audit trail; habilitation: its grants and its activities;
declaration: each activity's declarations with their details, transmitted versions and supporting documents
(names, sizes, hashes); estimation: each activity's payments for each exercice declared. Reading it changes
nothing, so it is idempotent by nature. Each export is first recorded in identity's audit trail of the partner
(``partner.export``, its id only; ``POST /partners/{id}/exports``, the operator alone): nothing is read unless that
line is written; the command's audit line (stderr) adds who ran it and the outcome.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from afas_shared.operator_cli.gateway import OperatorGateway, Refused


async def _activities(gateway: OperatorGateway, partner_id: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params = {"partenaire": partner_id, **({"curseur": cursor} if cursor else {})}
        page = await gateway.call("GET", "/activities", params=params)
        found += page["elements"]
        cursor = page.get("curseur_suivant")
        if not cursor:
            return found


async def _declaration(gateway: OperatorGateway, line: dict[str, Any]) -> dict[str, Any]:
    declaration_id = line["id"]
    return {
        **line,
        "detail": await gateway.call("GET", f"/declarations/{declaration_id}"),
        "versions_transmises": await gateway.call("GET", f"/declarations/{declaration_id}/versions"),
        "pieces_jointes": await gateway.call("GET", f"/declarations/{declaration_id}/pieces-jointes"),
    }


async def _activity(gateway: OperatorGateway, activity: dict[str, Any]) -> dict[str, Any]:
    activity_id = activity["id"]
    try:
        lines = await gateway.call("GET", f"/activities/{activity_id}/declarations")
    except Refused as refusal:
        if refusal.status != 404:  # 404: the activity has no declaration yet
            raise
        lines = []
    declarations = [await _declaration(gateway, line) for line in lines]
    payments = {}
    for exercice in sorted({line["exercice"] for line in lines}):
        try:
            payments[str(exercice)] = await gateway.call(
                "GET", f"/activities/{activity_id}/payments", params={"exercice": exercice}
            )
        except Refused as refusal:  # estimation not reachable from this gateway: said, not hidden
            payments[str(exercice)] = {"indisponible": refusal.message}
    return {"activite": activity, "declarations": declarations, "paiements": payments}


async def export_partner(gateway: OperatorGateway, partner_id: str) -> dict[str, Any]:
    await gateway.call("POST", f"/partners/{partner_id}/exports")  # durably audited before anything is read
    partner = await gateway.call("GET", f"/partners/{partner_id}")
    activities = await _activities(gateway, partner_id)
    return {
        "exporte_le": datetime.now(UTC).isoformat(),
        "partenaire": partner,
        "utilisateurs": await gateway.call("GET", f"/partners/{partner_id}/users"),
        "conventions": await gateway.call("GET", "/conventions", params={"partenaire": partner_id}),
        "habilitations": await gateway.call("GET", f"/partners/{partner_id}/grants"),
        "journal": await gateway.call("GET", f"/partners/{partner_id}/audit"),
        "activites": [await _activity(gateway, a) for a in activities],
    }
