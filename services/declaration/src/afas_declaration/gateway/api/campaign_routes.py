"""Campaigns (Caf paramétrage) and "Mes déclarations"."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from pydantic import Field, ValidationError

from afas_declaration.application import campaign_admin, campaigns, declaration_list
from afas_declaration.application.campaigns import EXERCICE_MAX, EXERCICE_MIN
from afas_declaration.application.keyset import PageRequest
from afas_declaration.gateway.api import declaration_replies as r
from afas_declaration.gateway.api.fast_reply import JsonReply, fast_reply
from afas_declaration.gateway.api.page_query import PAGINATION, page_request
from afas_declaration.gateway.api.page_replies import DeclarationPage
from afas_declaration.gateway.api.refusals import SESSION, refusals
from afas_declaration.gateway.api.reply_route import ReplyRoute
from afas_declaration.gateway.clients.service_calls import call_local
from afas_declaration.gateway.session.caller import Caller
from afas_shared.auth.caller import forwarded_caller
from afas_shared.runtime import ServiceRuntime
from afas_shared.text import InputModel


class CampaignBody(InputModel):
    type_activite: str = Field(max_length=30, examples=["alsh"])
    exercice: int = Field(examples=[2026])
    type_declaration: str = Field(
        max_length=30,
        examples=["previsionnelle"],
        description="previsionnelle, actualisee_juin, actualisee_septembre, reelle",
    )
    date_ouverture: date
    date_limite: date
    caf: str | None = Field(default=None, max_length=10, description="Pour l'opérateur seulement")

    def to_input(self) -> campaigns.CampaignInput:
        return campaigns.CampaignInput.model_validate(self.model_dump())  # the same names: the API's


def router(runtime: ServiceRuntime, current_caller) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["déclarations"], route_class=ReplyRoute)
    who = Depends(current_caller)
    paging = Depends(page_request(runtime))

    @api.post(
        "/campaigns",
        status_code=202,
        summary="Ouvrir une campagne de déclaration (Caf, paramétrage)",
        description=(
            "La campagne est enregistrée ; à sa date, son ouverture (une déclaration attendue par activité) est un "
            "traitement en arrière-plan : `etat` et `suivi` (`/api/v1/jobs/{job_id}`) disent où il en est."
        ),
        response_model=r.Campaign,
        responses=refusals(*SESSION, 409, 422),
    )
    async def open_campaign(body: CampaignBody, caller: Caller = who) -> dict[str, Any]:
        return await call_local(campaigns.create(runtime, forwarded_caller(caller.rpc()), _validated(body)))

    @api.get(
        "/campaigns",
        summary="Campagnes de la Caf",
        response_model=list[r.Campaign],
        responses=refusals(*SESSION),
    )
    async def list_campaigns(caller: Caller = who) -> list[dict[str, Any]]:
        return await call_local(campaigns.visible_to(runtime, forwarded_caller(caller.rpc())))

    @api.post(
        "/campaigns/{campaign_id}/close",
        summary="Clôturer une campagne : aucune déclaration n'y est plus attendue (idempotent)",
        response_model=r.Campaign,
        responses=refusals(*SESSION, 404, 422),
    )
    async def close_campaign(campaign_id: uuid.UUID, caller: Caller = who) -> dict[str, Any]:
        return await call_local(campaign_admin.close(runtime, forwarded_caller(caller.rpc()), campaign_id))

    @api.post(
        "/campaigns/{campaign_id}/reconciliation",
        summary="Relancer le rapprochement d'une campagne : créer les déclarations attendues manquantes",
        response_model=r.CampaignReconciliation,
        responses=refusals(*SESSION, 404, 422),
    )
    async def reconcile_campaign(campaign_id: uuid.UUID, caller: Caller = who) -> dict[str, Any]:
        caller_ = forwarded_caller(caller.rpc())
        return await call_local(campaign_admin.rerun_reconciliation(runtime, caller_, campaign_id))

    @api.get(
        "/campaigns/{campaign_id}/actions",
        summary="Journal d'une campagne : qui l'a ouverte, clôturée, rapprochée, quand",
        response_model=list[r.CampaignActionLine],
        responses=refusals(*SESSION, 404, 422),
    )
    async def campaign_trail(campaign_id: uuid.UUID, caller: Caller = who) -> list[dict[str, Any]]:
        return await call_local(campaign_admin.trail(runtime, forwarded_caller(caller.rpc()), campaign_id))

    @api.get(
        "/declarations",
        summary="Mes déclarations, avec les actions que vos rôles permettent, page par page",
        description="Les déclarations les plus récentes d'abord, puis par activité. " + PAGINATION,
        response_model=DeclarationPage,
        responses=refusals(*SESSION, 422),
    )
    async def my_declarations(
        response: Response,
        caller: Caller = who,
        type_declaration: str | None = Query(None, description="previsionnelle, actualisee_juin, …, reelle"),
        exercice: int | None = Query(None, ge=EXERCICE_MIN, le=EXERCICE_MAX),
        etat: str | None = Query(None, description="a_saisir, en_cours, controlee, transmise, refusee, …"),
        activite: uuid.UUID | None = None,
        type_activite: str | None = None,
        nature: str | None = None,
        page: PageRequest = paging,
    ) -> JsonReply:
        filters = declaration_list.Filters(type_declaration, exercice, etat, activite, type_activite, nature)
        shown = await call_local(declaration_list.page_of(runtime, forwarded_caller(caller.rpc()), filters, page))
        return fast_reply(shown, response)  # the hot read: orjson, not the reply model's round trip

    @api.get(
        "/declarations/a-saisir",
        summary="Nombre de déclarations à saisir (alerte de l'accueil)",
        response_model=r.AwaitingInput,
        responses=refusals(*SESSION),
    )
    async def awaiting_input(caller: Caller = who) -> dict[str, Any]:
        return await call_local(declaration_list.awaiting_input(runtime, forwarded_caller(caller.rpc())))

    @api.get(
        "/activities/{activity_id}/declarations",
        summary="Historique des déclarations d'une activité",
        response_model=list[r.DeclarationLine],
        responses=refusals(*SESSION, 404, 422),
    )
    async def activity_history(activity_id: uuid.UUID, caller: Caller = who) -> list[dict[str, Any]]:
        return await call_local(declaration_list.activity_history(runtime, forwarded_caller(caller.rpc()), activity_id))

    return api


def _validated(body: CampaignBody) -> campaigns.CampaignInput:
    try:
        return body.to_input()
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        field = str(error["loc"][0])  # the input's field as the API names it
        raise HTTPException(
            422, [{"loc": ["body", field], "msg": "Valeur non autorisée.", "type": error["type"]}]
        ) from None
