"""The caller's own rights ("Mes habilitations"), read from declaration's copy of the grants."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query

from afas_declaration.application import permissions
from afas_declaration.domain.access_policy import Action, actions_of
from afas_declaration.gateway.api.declaration_replies import Permission, PermissionCheck
from afas_declaration.gateway.api.refusals import SESSION, refusals
from afas_declaration.gateway.api.reply_route import ReplyRoute
from afas_declaration.gateway.session.caller import Caller
from afas_shared.clock import paris_today
from afas_shared.runtime import ServiceRuntime

NOT_A_USER = "Les habilitations sont celles d'un utilisateur : le jeton d'exploitation n'en a aucune."


def router(runtime: ServiceRuntime, current_caller) -> APIRouter:
    api = APIRouter(prefix="/api/v1/me/permissions", tags=["habilitations"], route_class=ReplyRoute)
    who = Depends(current_caller)

    def user_of(caller: Caller) -> str:
        if caller.user_id is None:
            raise HTTPException(403, NOT_A_USER)
        return caller.user_id

    def today():
        return paris_today(runtime.clock.now())

    @api.get(
        "",
        summary="Mes habilitations en vigueur (rôle, activité, lieu)",
        response_model=list[Permission],
        responses=refusals(*SESSION),
    )
    async def mine(caller: Caller = who) -> list[dict[str, Any]]:
        lines = await permissions.permissions_of(runtime.db, user_of(caller), today())
        return [
            {
                "role": line["role"],
                "activite_id": line["activity_id"],
                "lieu_id": line["site_id"],
                "actions": actions_of(line["role"]),
            }
            for line in lines
        ]

    @api.get(
        "/check",
        summary="Puis-je faire cette action sur cette activité (ou ce lieu) ?",
        response_model=PermissionCheck,
        responses=refusals(*SESSION, 422),
    )
    async def check(
        action: Action,
        activite: uuid.UUID,
        lieu: uuid.UUID | None = Query(default=None),
        caller: Caller = who,
    ) -> dict[str, bool]:
        allowed = await permissions.may(runtime.db, user_of(caller), action, activite, lieu, today())
        return {"autorise": allowed}

    return api
