"""Signature and transmission, transmitted versions and their PDF receipts; Caf instruction."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from pydantic import Field

from afas_declaration.application import instruction, receipts, transmission
from afas_declaration.application.campaigns import EXERCICE_MAX, EXERCICE_MIN
from afas_declaration.application.keyset import PageRequest
from afas_declaration.gateway.api import review_replies as r
from afas_declaration.gateway.api.fast_reply import JsonReply, fast_reply
from afas_declaration.gateway.api.page_query import PAGINATION, page_request
from afas_declaration.gateway.api.page_replies import QueuePage
from afas_declaration.gateway.api.refusals import SESSION, refusals
from afas_declaration.gateway.api.reply_fields import file_reply
from afas_declaration.gateway.api.reply_route import ReplyRoute
from afas_declaration.gateway.clients.service_calls import call_local
from afas_declaration.gateway.session.caller import Caller
from afas_shared.auth.caller import forwarded_caller
from afas_shared.contracts.declaration_states import DeclarationState
from afas_shared.runtime import ServiceRuntime
from afas_shared.text import InputModel


class Transmit(InputModel):
    multiline_fields = frozenset({"informations_complementaires"})  # typed in a textarea: line breaks allowed
    signature: bool = Field(
        description="La case « Je certifie l'exactitude des données et je signe » : vaut signature électronique",
        examples=[True],
    )
    informations_complementaires: str | None = Field(default=None, max_length=4000)


class Reason(InputModel):
    multiline_fields = frozenset({"motif"})  # typed in a textarea: line breaks allowed
    motif: str = Field(max_length=2000, examples=["Les heures facturées ne correspondent pas au compte de résultat."])


class Validation(InputModel):
    justification_ecart_acceptee: bool = Field(
        default=False,
        description="Oui : l'agent accepte la justification, donnée par le partenaire, d'un écart de plus de 10 % "
        "entre prévisionnel et réel. Sans cette acceptation explicite, un tel écart (calculé par la plateforme sur "
        "les droits) plafonne les acomptes suivants selon la politique de versement de la Caf. Sur une déclaration "
        "réelle ou prévisionnelle seulement : une déclaration actualisée n'en porte pas (refus 422)",
    )


def router(runtime: ServiceRuntime, current_caller) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["transmission et instruction"], route_class=ReplyRoute)
    who = Depends(current_caller)
    paging = Depends(page_request(runtime))

    @api.post(
        "/declarations/{declaration_id}/transmit",
        status_code=201,
        summary="Signer et transmettre à la Caf (approbateur)",
        description="Un en-tête Idempotency-Key (UUID conseillé) renvoie la même réponse à une nouvelle tentative.",
        response_model=r.VersionSummary,
        responses=refusals(*SESSION, 404, 409, 422),
    )
    async def transmit(
        declaration_id: uuid.UUID, body: Transmit, response: Response, caller: Caller = who
    ) -> JsonReply:
        sent = await call_local(
            transmission.transmit(
                runtime,
                forwarded_caller(caller.rpc()),
                declaration_id,
                body.signature,
                body.informations_complementaires,
            )
        )
        return fast_reply(sent, response, status_code=201)  # a hot path of the deadline day: orjson, not the model

    @api.get(
        "/declarations/{declaration_id}/versions",
        summary="Versions transmises d'une déclaration",
        response_model=list[r.VersionSummary],
        responses=refusals(*SESSION, 404, 422),
    )
    async def versions(declaration_id: uuid.UUID, caller: Caller = who) -> list[dict[str, Any]]:
        return await call_local(transmission.versions(runtime, forwarded_caller(caller.rpc()), declaration_id))

    @api.get(
        "/declarations/{declaration_id}/versions/{number}",
        summary="Contenu figé d'une version transmise",
        response_model=r.TransmittedVersion,
        responses=refusals(*SESSION, 404, 422),
    )
    async def version(declaration_id: uuid.UUID, number: int, caller: Caller = who) -> dict[str, Any]:
        return await call_local(transmission.version(runtime, forwarded_caller(caller.rpc()), declaration_id, number))

    @api.get(
        "/declarations/{declaration_id}/versions/{number}/accuse.pdf",
        summary="Accusé de réception (PDF) d'une version transmise",
        response_class=Response,
        description="Rendu juste après la transmission : tant qu'il est en préparation, la réponse attend quelques "
        "secondes puis répond 503 avec un en-tête Retry-After.",
        responses={
            **file_reply("application/pdf", "L'accusé de réception (PDF)"),
            **refusals(*SESSION, 404, 422, 503),
        },
    )
    async def receipt(declaration_id: uuid.UUID, number: int, caller: Caller = who) -> Response:
        try:
            pdf = await call_local(
                transmission.receipt(runtime, forwarded_caller(caller.rpc()), declaration_id, number)
            )
        except receipts.ReceiptPending as pending:
            headers = {"Retry-After": str(pending.retry_after)}
            return JSONResponse({"detail": str(pending)}, status_code=503, headers=headers)
        filename = f"accuse-reception-{declaration_id}-v{number}.pdf"
        return Response(
            pdf, media_type="application/pdf", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
        )

    @api.get(
        "/instruction/declarations",
        summary="Déclarations à instruire (Caf), les plus anciennes d'abord, page par page",
        description=PAGINATION,
        response_model=QueuePage,
        responses=refusals(*SESSION, 422),
    )
    async def queue(
        caller: Caller = who,
        etat: str = Query(DeclarationState.transmise.value),
        type_activite: str | None = None,
        exercice: int | None = Query(None, ge=EXERCICE_MIN, le=EXERCICE_MAX),
        type_declaration: str | None = None,
        partenaire: uuid.UUID | None = None,
        page: PageRequest = paging,
    ) -> dict[str, Any]:
        return await call_local(
            instruction.queue(
                runtime,
                forwarded_caller(caller.rpc()),
                etat=etat,
                famille=type_activite,
                exercice=exercice,
                type_declaration=type_declaration,
                partenaire=partenaire,
                request=page,
            )
        )

    @api.post(
        "/declarations/{declaration_id}/validate",
        summary="Valider une déclaration transmise (Caf)",
        response_model=r.Decided,
        responses=refusals(*SESSION, 404, 409, 422),
    )
    async def validate(
        declaration_id: uuid.UUID, body: Validation | None = None, caller: Caller = who
    ) -> dict[str, Any]:
        accepted = body.justification_ecart_acceptee if body else False
        return await call_local(
            instruction.decide(
                runtime, forwarded_caller(caller.rpc()), declaration_id, DeclarationState.validee, None, accepted
            )
        )

    @api.post(
        "/declarations/{declaration_id}/refuse",
        summary="Refuser une déclaration avec un motif (Caf)",
        response_model=r.Decided,
        responses=refusals(*SESSION, 404, 409, 422),
    )
    async def refuse(declaration_id: uuid.UUID, body: Reason, caller: Caller = who) -> dict[str, Any]:
        return await call_local(
            instruction.decide(
                runtime, forwarded_caller(caller.rpc()), declaration_id, DeclarationState.refusee, body.motif
            )
        )

    @api.post(
        "/declarations/{declaration_id}/cancel",
        summary="Annuler une déclaration avec un motif (Caf)",
        response_model=r.Decided,
        responses=refusals(*SESSION, 404, 409, 422),
    )
    async def cancel(declaration_id: uuid.UUID, body: Reason, caller: Caller = who) -> dict[str, Any]:
        return await call_local(
            instruction.decide(
                runtime, forwarded_caller(caller.rpc()), declaration_id, DeclarationState.annulee, body.motif
            )
        )

    return api
