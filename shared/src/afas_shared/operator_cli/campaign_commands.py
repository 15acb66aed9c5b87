"""Caf agents and campaigns through the gateway: each command says whether it did something or found it done.

A second run of the same command changes nothing and answers ``deja`` (already): the agent whose address is taken
in that Caf, the campaign that exists for that Caf, family, exercice and kind, the campaign already closed. The
services record the acts (identity's audit trail for an agent, declaration's ``campaign_action`` for campaigns).
"""

from __future__ import annotations

from typing import Any

from afas_shared.operator_cli.gateway import OperatorGateway, Refused

CREATED, ALREADY = "fait", "deja"


async def create_agent(
    gateway: OperatorGateway, caf: str, last_name: str, first_name: str, email: str, roles: list[str]
) -> dict[str, Any]:
    body = {"nom": last_name, "prenom": first_name, "email": email, "email_confirmation": email, "roles_caf": roles}
    try:
        agent = await gateway.call("POST", f"/cafs/{caf}/agents", json=body)
    except Refused as refusal:
        if refusal.status != 409:
            raise
        return {"resultat": ALREADY, "caf": caf, "email": email, "detail": refusal.message}
    return {"resultat": CREATED, "caf": caf, "email": email, "agent": agent}


def _same(campaign: dict[str, Any], caf: str, family: str, exercice: int, kind: str) -> bool:
    wanted = (caf, family, exercice, kind)
    return (campaign["caf"], campaign["type_activite"], campaign["exercice"], campaign["type_declaration"]) == wanted


async def open_campaign(
    gateway: OperatorGateway, caf: str, family: str, exercice: int, kind: str, opening: str, deadline: str
) -> dict[str, Any]:
    body = {
        "caf": caf,
        "type_activite": family,
        "exercice": exercice,
        "type_declaration": kind,
        "date_ouverture": opening,
        "date_limite": deadline,
    }
    try:
        return {"resultat": CREATED, "campagne": await gateway.call("POST", "/campaigns", json=body)}
    except Refused as refusal:
        if refusal.status != 409:
            raise
    existing = next(c for c in await gateway.call("GET", "/campaigns") if _same(c, caf, family, exercice, kind))
    return {"resultat": ALREADY, "campagne": existing}


async def list_campaigns(gateway: OperatorGateway, caf: str | None) -> dict[str, Any]:
    every = await gateway.call("GET", "/campaigns")
    return {"campagnes": [c for c in every if caf is None or c["caf"] == caf]}


async def close_campaign(gateway: OperatorGateway, campaign_id: str) -> dict[str, Any]:
    before = await gateway.call("GET", f"/campaigns/{campaign_id}/actions")
    closed = await gateway.call("POST", f"/campaigns/{campaign_id}/close")
    was_closed = any(a["action"] == "close" and a["resultat"] == "closed" for a in before)
    return {"resultat": ALREADY if was_closed else CREATED, "campagne": closed}


async def reconcile_campaign(gateway: OperatorGateway, campaign_id: str) -> dict[str, Any]:
    outcome = await gateway.call("POST", f"/campaigns/{campaign_id}/reconciliation")
    done = CREATED if outcome["declarations_creees"] else ALREADY
    return {"resultat": done, **{k: v for k, v in outcome.items() if k != "resultat"}, "detail": outcome["resultat"]}


async def campaign_trail(gateway: OperatorGateway, campaign_id: str) -> dict[str, Any]:
    return {"campagne": campaign_id, "actions": await gateway.call("GET", f"/campaigns/{campaign_id}/actions")}


async def erase_account(gateway: OperatorGateway, user_id: str) -> dict[str, Any]:
    """Identity pseudonymises a closed account's personal data (a refusal while the account is open)."""
    erased = await gateway.call("POST", f"/users/{user_id}/erase")
    return {"resultat": ALREADY if erased.pop("deja") else CREATED, "compte": erased}
