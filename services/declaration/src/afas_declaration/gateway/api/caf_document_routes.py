"""Documents from the Caf: an agent of the partner's Caf publishes (multipart), the partner's users list and open
them — authorized by declaration's use cases (``application.caf_documents``)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from afas_declaration.application import caf_documents
from afas_declaration.domain.attachments import KINDS, too_large_message
from afas_declaration.gateway.api.attachment_routes import (
    FILE_FIELD,
    file_download_responses,
    file_response,
    read_upload,
    upload_refusals,
)
from afas_declaration.gateway.api.refusals import SESSION, refusals
from afas_declaration.gateway.api.reply_fields import Timestamp, example
from afas_declaration.gateway.api.reply_route import ReplyRoute
from afas_declaration.gateway.clients.service_calls import call_local
from afas_declaration.gateway.session.caller import Caller
from afas_shared.auth.caller import forwarded_caller
from afas_shared.runtime import ServiceRuntime


class CafDocumentReply(BaseModel):
    model_config = example(
        {
            "id": "5b2e8c1d-7f3a-4d6e-9a0b-1c2d3e4f5a6b",
            "nature": "Notification de droit",
            "titre": "Notification de droit PS ALSH 2026",
            "activite": "ALSH Les Coccinelles",
            "exercice": 2026,
            "nom": "Notification 2026.pdf",
            "type": "PDF",
            "taille": 48213,
            "publie_par": "Nadia Lefèvre",
            "publie_le": "2027-03-02T10:15:00+01:00",
            "ouvert_le": "2027-03-03T08:41:27+01:00",
            "lien": "/api/v1/partners/3f1e2d4c-5b6a-4789-8c0d-1e2f3a4b5c6d/documents/"
            "5b2e8c1d-7f3a-4d6e-9a0b-1c2d3e4f5a6b",
        }
    )

    id: uuid.UUID
    nature: str = Field(description="Notification de droit, Convention signée ou Courrier")
    titre: str
    activite: str | None = Field(description="L'activité concernée ; absent : le partenaire entier")
    exercice: int | None = Field(description="L'exercice concerné, s'il y en a un")
    nom: str = Field(description="Le nom du fichier, l'extension étant celle de son type réel")
    type: str = Field(description="Le type lu dans le contenu", examples=["PDF"])
    taille: int = Field(description="En octets")
    publie_par: str
    publie_le: Timestamp
    ouvert_le: Timestamp | None = Field(description="Sa première ouverture par un utilisateur du partenaire")
    lien: str = Field(description="L'adresse de téléchargement (utilisateurs du partenaire)")


def publish_body(limit: int, accepted: list[str]) -> dict[str, Any]:
    text = {"type": "string"}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": [FILE_FIELD, "nature"],
                        "properties": {
                            FILE_FIELD: {
                                "type": "string",
                                "format": "binary",
                                "description": f"{too_large_message(limit)} Types : "
                                + ", ".join(KINDS[k].label for k in accepted if k in KINDS),
                            },
                            "nature": {**text, "enum": list(caf_documents.NATURES)},
                            "titre": {**text, "description": "Le titre (facultatif : le nom du fichier)"},
                            "activite": {**text, "format": "uuid", "description": "L'activité (facultatif)"},
                            "exercice": {**text, "description": "L'exercice, une année (facultatif)"},
                        },
                    }
                }
            },
        }
    }


def router(runtime: ServiceRuntime, current_caller) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["documents de la Caf"], route_class=ReplyRoute)
    who = Depends(current_caller)
    settings = runtime.settings

    @api.post(
        "/partners/{partner_id}/documents",
        status_code=201,
        summary="Adresser un document au partenaire (agents de sa Caf : instruction, habilitations)",
        description="Formulaire multipart : `fichier`, `nature`, et facultativement `titre`, `activite`, `exercice`. "
        "Le type est lu dans le contenu du fichier, jamais dans son nom.",
        openapi_extra=publish_body(settings.attachment_max_bytes, settings.attachment_types),
        response_model=CafDocumentReply,
        responses=upload_refusals(settings.attachment_max_bytes, 404),
    )
    async def publish(partner_id: uuid.UUID, request: Request, caller: Caller = who) -> dict[str, Any]:
        forwarded = forwarded_caller(caller.rpc())
        await call_local(caf_documents.check_publishable(runtime, forwarded, partner_id))
        upload = await read_upload(request, settings.attachment_max_bytes)
        return await call_local(
            caf_documents.publish(runtime, forwarded, partner_id, upload.filename, upload.content, upload.fields)
        )

    @api.get(
        "/partners/{partner_id}/documents",
        summary="Documents adressés par la Caf au partenaire, avec leur date de première ouverture",
        response_model=list[CafDocumentReply],
        responses=refusals(*SESSION, 404, 422),
    )
    async def listing(partner_id: uuid.UUID, caller: Caller = who) -> list[dict[str, Any]]:
        return await call_local(caf_documents.listing(runtime, forwarded_caller(caller.rpc()), partner_id))

    @api.get(
        "/partners/{partner_id}/documents/{document_id}",
        summary="Ouvrir un document de la Caf (utilisateurs du partenaire ; la première ouverture est datée)",
        response_class=Response,
        responses=file_download_responses("Le fichier, sous son type réel"),
    )
    async def download(partner_id: uuid.UUID, document_id: uuid.UUID, caller: Caller = who) -> Response:
        listed, media_type, content = await call_local(
            caf_documents.download(runtime, forwarded_caller(caller.rpc()), partner_id, document_id)
        )
        return file_response(listed, media_type, content)

    return api
