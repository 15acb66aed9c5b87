"""Controls, justifications, complementary information, estimate, and sending a form back to its provider."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Response
from pydantic import Field

from afas_declaration.application import approbateur_actions, review
from afas_declaration.gateway.api import review_replies as r
from afas_declaration.gateway.api.fast_reply import JsonReply, fast_reply
from afas_declaration.gateway.api.refusals import SESSION, refusals
from afas_declaration.gateway.api.reply_route import ReplyRoute
from afas_declaration.gateway.clients.service_calls import call_local
from afas_declaration.gateway.session.caller import Caller
from afas_shared.auth.caller import forwarded_caller
from afas_shared.runtime import ServiceRuntime
from afas_shared.text import InputModel


class Justification(InputModel):
    multiline_fields = frozenset({"texte"})  # typed in a textarea: line breaks allowed
    texte: str = Field(max_length=4000, examples=["Ouverture d'une section de 12 places en septembre."])
    montant: str | None = Field(
        default=None,
        max_length=40,
        description="Le chiffre qui explique l'écart (montant, heures…)",
        examples=["18500,00"],
    )


class Complement(InputModel):
    multiline_fields = frozenset({"texte"})  # typed in a textarea: line breaks allowed
    texte: str | None = Field(default=None, max_length=4000)


class SendBack(InputModel):
    multiline_fields = frozenset({"commentaire"})  # typed in a textarea: line breaks allowed
    commentaire: str = Field(max_length=2000, examples=["Les heures facturées de mars semblent manquer."])


def router(runtime: ServiceRuntime, current_caller) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["contrôles"], route_class=ReplyRoute)
    who = Depends(current_caller)

    @api.post(
        "/declarations/{declaration_id}/controls",
        summary="Contrôler ses données avant envoi",
        response_model=r.Controls,
        responses=refusals(*SESSION, 404, 409, 422),
    )
    async def run(declaration_id: uuid.UUID, response: Response, caller: Caller = who) -> JsonReply:
        controls = await call_local(review.run(runtime, forwarded_caller(caller.rpc()), declaration_id))
        return fast_reply(controls, response)  # a hot path of the deadline day: orjson, not the reply model

    @api.get(
        "/declarations/{declaration_id}/controls",
        summary="Résultat des derniers contrôles",
        response_model=r.Controls,
        responses=refusals(*SESSION, 404, 422),
    )
    async def latest(declaration_id: uuid.UUID, caller: Caller = who) -> dict[str, Any]:
        return await call_local(review.latest(runtime, forwarded_caller(caller.rpc()), declaration_id))

    @api.put(
        "/declarations/{declaration_id}/justifications/{key}",
        summary="Justifier une anomalie signalée (texte et chiffre), approbateur",
        response_model=r.Justification,
        responses=refusals(*SESSION, 404, 409, 422),
    )
    async def justify(declaration_id: uuid.UUID, key: str, body: Justification, caller: Caller = who) -> dict:
        return await call_local(
            approbateur_actions.justify(
                runtime, forwarded_caller(caller.rpc()), declaration_id, key, body.texte, body.montant
            )
        )

    @api.put(
        "/declarations/{declaration_id}/complement",
        summary="Informations complémentaires (approbateur)",
        response_model=r.Complement,
        responses=refusals(*SESSION, 404, 409, 422),
    )
    async def complement(declaration_id: uuid.UUID, body: Complement, caller: Caller = who) -> dict[str, Any]:
        return await call_local(
            approbateur_actions.set_complement(runtime, forwarded_caller(caller.rpc()), declaration_id, body.texte)
        )

    @api.get(
        "/declarations/{declaration_id}/estimate",
        summary="Estimation de la prestation de service",
        response_model=r.Estimate,
        responses=refusals(*SESSION, 404, 422),
    )
    async def estimate(declaration_id: uuid.UUID, response: Response, caller: Caller = who) -> JsonReply:
        estimate = await call_local(review.estimate_for(runtime, forwarded_caller(caller.rpc()), declaration_id))
        return fast_reply(estimate, response)  # a hot path of the deadline day: orjson, not the reply model

    @api.post(
        "/forms/{form_id}/send-back",
        summary="Renvoyer un formulaire à son fournisseur (approbateur)",
        response_model=r.SentBack,
        responses=refusals(*SESSION, 404, 409, 422),
    )
    async def send_back(form_id: uuid.UUID, body: SendBack, caller: Caller = who) -> dict[str, Any]:
        return await call_local(
            approbateur_actions.send_back(runtime, forwarded_caller(caller.rpc()), form_id, body.commentaire)
        )

    return api
