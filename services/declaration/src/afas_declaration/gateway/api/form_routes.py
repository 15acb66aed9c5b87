"""A declaration and its forms: read, save as draft, prefill."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Response
from pydantic import Field

from afas_declaration.application import drafts
from afas_declaration.gateway.api import declaration_replies as r
from afas_declaration.gateway.api.fast_reply import JsonReply, fast_reply
from afas_declaration.gateway.api.refusals import SESSION, refusals
from afas_declaration.gateway.api.reply_route import ReplyRoute
from afas_declaration.gateway.clients.service_calls import call_local
from afas_declaration.gateway.session.caller import Caller
from afas_shared.auth.caller import forwarded_caller
from afas_shared.runtime import ServiceRuntime
from afas_shared.text import InputModel


class Draft(InputModel):
    version: int = Field(ge=0, description="La version lue : une saisie concurrente est refusée (409)")
    valeurs: dict[str, Any] = Field(examples=[{"heures_realisees": "12500", "places": 40}])


class Prefill(InputModel):
    version: int = Field(ge=0)


def router(runtime: ServiceRuntime, current_caller) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["déclarations"], route_class=ReplyRoute)
    who = Depends(current_caller)

    @api.get(
        "/declarations/{declaration_id}",
        summary="Une déclaration et les formulaires de votre périmètre",
        response_model=r.DeclarationDetail,
        responses=refusals(*SESSION, 404, 422),
    )
    async def detail(declaration_id: uuid.UUID, response: Response, caller: Caller = who) -> JsonReply:
        shown = await call_local(drafts.detail(runtime, forwarded_caller(caller.rpc()), declaration_id))
        return fast_reply(shown, response)  # the hot read: orjson, not the reply model's round trip

    @api.put(
        "/forms/{form_id}",
        summary="Enregistrer un formulaire (brouillon)",
        response_model=r.SavedForm,
        responses=refusals(*SESSION, 404, 409, 422),
    )
    async def save(form_id: uuid.UUID, body: Draft, response: Response, caller: Caller = who) -> JsonReply:
        # Every save shows the estimate it leads to (or why there is none): asked after the commit, never blocking
        # it, from the forms the save wrote
        saved = await call_local(
            drafts.save(
                runtime, forwarded_caller(caller.rpc()), form_id, body.version, body.valeurs, with_estimate=True
            )
        )
        return fast_reply(saved, response)  # the deadline day's hot write: orjson, not the reply model's round trip

    @api.post(
        "/forms/{form_id}/prefill",
        summary="Reprendre les données de la déclaration précédente",
        response_model=r.Form,
        responses=refusals(*SESSION, 404, 409, 422),
    )
    async def prefill(form_id: uuid.UUID, body: Prefill, caller: Caller = who) -> dict[str, Any]:
        return await call_local(drafts.prefill(runtime, forwarded_caller(caller.rpc()), form_id, body.version))

    return api
