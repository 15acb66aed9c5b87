"""Role grants ("Habiliter un utilisateur") and the Caf's validation of approbateurs."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Query

from afas_declaration.gateway.api.activity_schemas import GrantBody, Refusal
from afas_declaration.gateway.session.caller import Caller
from afas_declaration.gateway.clients.service_calls import call_service
from afas_shared.runtime import ServiceRuntime


def router(runtime: ServiceRuntime, current_caller) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["habilitations"])
    who = Depends(current_caller)

    async def ask(verb: str, caller: Caller, **payload: Any) -> Any:
        return await call_service(runtime, "habilitation", verb, caller.rpc(**payload))

    @api.post("/grants", status_code=201, summary="Habiliter un utilisateur (un rôle, des activités ou des lieux)")
    async def grant(body: GrantBody, caller: Caller = who) -> list[dict[str, Any]]:
        return await ask("grant", caller, grant=body.to_service())

    @api.get("/partners/{partner_id}/grants", summary="Habilitations d'un partenaire")
    async def of_partner(
        partner_id: uuid.UUID,
        caller: Caller = who,
        etat: str | None = Query(default=None, pattern="^(Actif|Historique|Inactif)$"),
    ) -> list[dict[str, Any]]:
        return await ask("grants_of_partner", caller, partner_id=partner_id, state=etat)

    @api.get("/grants", summary="Rechercher les habilitations (Administration des profils)")
    async def search(
        caller: Caller = who,
        partenaire: uuid.UUID | None = None,
        utilisateur: uuid.UUID | None = None,
        role: str | None = Query(default=None, pattern="^(fda|fdf|approbateur)$"),
        activite: uuid.UUID | None = None,
        type: str | None = Query(default=None, max_length=30),
        nature: str | None = Query(default=None, max_length=40),
        lieux: str | None = Query(default=None, pattern="^(oui|non)$", description="Activités multi-lieux ?"),
        etat: str | None = Query(default=None, pattern="^(Actif|Historique|Inactif|Non attribué)$"),
    ) -> list[dict[str, Any]]:
        filters = {
            "partner_id": partenaire,
            "user_id": utilisateur,
            "role": role,
            "activity_id": activite,
            "family": type,
            "nature": nature,
            "with_sites": None if lieux is None else lieux == "oui",
            "state": etat,
        }
        return await ask("search_grants", caller, filters=filters)

    @api.get("/grants/pending", summary="Approbateurs en attente de validation par la Caf")
    async def pending(caller: Caller = who) -> list[dict[str, Any]]:
        return await ask("pending_approbateurs", caller)

    @api.post("/grants/{grant_id}/validate", summary="Valider un approbateur (Caf)")
    async def validate(grant_id: uuid.UUID, caller: Caller = who) -> dict[str, Any]:
        return await ask("decide_grant", caller, grant_id=grant_id, accept=True)

    @api.post("/grants/{grant_id}/reject", summary="Refuser un approbateur, avec le motif (Caf)")
    async def reject(grant_id: uuid.UUID, body: Refusal, caller: Caller = who) -> dict[str, Any]:
        return await ask("decide_grant", caller, grant_id=grant_id, accept=False, reason=body.motif)

    @api.post("/grants/{grant_id}/end", summary="Mettre fin à une habilitation (date de fin = aujourd'hui)")
    async def end(grant_id: uuid.UUID, caller: Caller = who) -> dict[str, Any]:
        return await ask("end_grant", caller, grant_id=grant_id)

    return api
