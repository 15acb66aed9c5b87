"""Role grants ("Habiliter un utilisateur") and the Caf's validation of approbateurs."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import JSONResponse

from afas_declaration.gateway.api.activity_schemas import GrantBody, Refusal
from afas_declaration.gateway.api.refusals import SESSION, refusals
from afas_declaration.gateway.api.reply_route import ReplyRoute
from afas_declaration.gateway.clients.typed_calls import HasCaller, call_typed, carry, typed
from afas_declaration.gateway.session.caller import Caller
from afas_shared.contracts.rpc import RpcRequest
from afas_shared.contracts.rpc import habilitation as h
from afas_shared.contracts.rpc import habilitation_jobs as j
from afas_shared.contracts.rpc.base import Empty
from afas_shared.runtime import ServiceRuntime


def router(runtime: ServiceRuntime, current_caller) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["habilitations"], route_class=ReplyRoute)
    who = Depends(current_caller)

    async def ask(verb: str, caller: Caller, request: RpcRequest | None = None) -> Any:
        return await call_typed(runtime, "habilitation", verb, request or Empty(), caller)

    @api.post(
        "/grants",
        status_code=201,
        summary="Habiliter un utilisateur (un rôle, des activités ou des lieux)",
        description="Les lignes créées (201), toutes ou aucune. Sur de nombreuses activités, un traitement en "
        "arrière-plan (202) : son avancement et son compte rendu (lignes refusées et motifs) sur `suivi`.",
        response_model=list[h.GrantV1],
        responses={
            **refusals(*SESSION, 404, 409, 422, 503),
            202: {"model": j.JobV1, "description": "Traitement lancé"},
        },
    )
    async def grant(body: GrantBody, caller: Caller = who) -> Any:
        return await grant_or_job(runtime, caller, carry(h.GrantRequestV1, body, job_id=uuid.uuid4()))

    @api.get(
        "/partners/{partner_id}/grants",
        summary="Habilitations d'un partenaire",
        response_model=list[h.GrantV1],
        responses=refusals(*SESSION, 404, 422, 503),
    )
    async def of_partner(
        partner_id: uuid.UUID,
        caller: Caller = who,
        etat: str | None = Query(default=None, pattern="^(Actif|Historique|Inactif)$"),
    ) -> list[dict[str, Any]]:
        return await ask("grants_of_partner", caller, typed(h.PartnerGrantsRequestV1, partner_id=partner_id, etat=etat))

    @api.get(
        "/grants",
        summary="Rechercher les habilitations (Administration des profils)",
        response_model=list[h.GrantV1],
        responses=refusals(*SESSION, 422, 503),
    )
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
        filters = typed(
            h.GrantFiltersV1,
            partenaire=partenaire,
            utilisateur=utilisateur,
            role=role,
            activite=activite,
            type=type,
            nature=nature,
            lieux=None if lieux is None else lieux == "oui",
            etat=etat,
        )
        return await ask("search_grants", caller, filters)

    @api.get(
        "/grants/pending",
        summary="Approbateurs en attente de validation par la Caf",
        response_model=list[h.GrantV1],
        responses=refusals(*SESSION, 503),
    )
    async def pending(caller: Caller = who) -> list[dict[str, Any]]:
        return await ask("pending_approbateurs", caller)

    @api.post(
        "/grants/{grant_id}/validate",
        summary="Valider un approbateur (Caf)",
        response_model=h.GrantV1,
        responses=refusals(*SESSION, 404, 409, 422, 503),
    )
    async def validate(grant_id: uuid.UUID, caller: Caller = who) -> dict[str, Any]:
        return await ask("decide_grant", caller, typed(h.DecideGrantRequestV1, grant_id=grant_id, accepter=True))

    @api.post(
        "/grants/{grant_id}/reject",
        summary="Refuser un approbateur, avec le motif (Caf)",
        response_model=h.GrantV1,
        responses=refusals(*SESSION, 404, 409, 422, 503),
    )
    async def reject(grant_id: uuid.UUID, body: Refusal, caller: Caller = who) -> dict[str, Any]:
        return await ask("decide_grant", caller, carry(h.DecideGrantRequestV1, body, grant_id=grant_id, accepter=False))

    @api.post(
        "/grants/{grant_id}/end",
        summary="Mettre fin à une habilitation (date de fin = aujourd'hui)",
        response_model=h.GrantV1,
        responses=refusals(*SESSION, 404, 409, 422, 503),
    )
    async def end(grant_id: uuid.UUID, caller: Caller = who) -> dict[str, Any]:
        return await ask("end_grant", caller, typed(h.GrantIdRequestV1, grant_id=grant_id))

    return api


async def grant_or_job(runtime: ServiceRuntime, caller: Caller, request: h.GrantRequestV1) -> Any:
    """The grant's lines (201), or the job giving them over many activities (202)."""
    outcome = await grant_outcome(runtime, caller, request)
    if outcome.get("traitement") is not None:
        return JSONResponse(outcome["traitement"], status_code=202)
    return outcome["lignes"]


async def grant_outcome(runtime: ServiceRuntime, caller: HasCaller, request: h.GrantRequestV1) -> dict[str, Any]:
    """habilitation's answer to ``grant_or_start``: ``{"lignes": …}`` or ``{"traitement": …}``, for the API and the
    pages alike. The request names the job it may become and the group its lines form (``job_id``), so an answer lost
    on the way (503) is found again: the job is asked for, and when there is none (a small grant, answered with its
    lines) the same request is sent again, which habilitation answers with the lines it gave — a grant that was done
    never answers 503."""
    try:
        return await call_typed(runtime, "habilitation", "grant_or_start", request, caller)
    except HTTPException as failure:
        if failure.status_code != 503 or request.job_id is None:
            raise
    try:
        job = await call_typed(runtime, "habilitation", "job", typed(j.JobIdRequestV1, job_id=request.job_id), caller)
        return {"traitement": job}
    except HTTPException:  # no job of that id: a small grant, done or not; the same request again tells
        return await call_typed(runtime, "habilitation", "grant_or_start", request, caller)
