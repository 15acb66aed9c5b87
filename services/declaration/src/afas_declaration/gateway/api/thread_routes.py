"""The secure thread of a declaration (issue 19): list, write (text and an optional file), mark read, download a
message's file — for the partner's users acting on the activity and the agents of its Caf (``application.thread``)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from afas_declaration.application import thread
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

MESSAGE_EXAMPLE = {
    "id": "8a1b2c3d-4e5f-4a6b-9c7d-0e1f2a3b4c5d",
    "cote": "caf",
    "nature": None,
    "texte": "Pouvez-vous joindre le relevé des heures facturées de mars ?",
    "auteur": "Agnès Lefèvre",
    "ecrit_le": "2027-02-03T09:12:40+01:00",
    "piece": None,
    "lu_le": "2027-02-03T11:02:05+01:00",
    "lu_par": "Claire Martin",
    "non_lu": False,
}


class MessageFile(BaseModel):
    nom: str = Field(description="Le nom du fichier, l'extension étant celle de son type réel")
    type: str = Field(description="Le type lu dans le contenu", examples=["PDF"])
    taille: int = Field(description="En octets")
    sha256: str = Field(description="L'empreinte SHA-256 du contenu (hexadécimal)")
    lien: str = Field(description="L'adresse de téléchargement")


class MessageReply(BaseModel):
    model_config = example(MESSAGE_EXAMPLE)

    id: uuid.UUID
    cote: str = Field(description="Qui l'a écrit : partenaire ou caf")
    nature: str | None = Field(
        description="Absent pour un message ; sinon le message du système : Refus de la Caf, Annulation par la Caf, "
        "Renvoi (un formulaire renvoyé à son fournisseur, avec le commentaire de l'approbateur)"
    )
    texte: str
    auteur: str
    ecrit_le: Timestamp
    piece: MessageFile | None = Field(description="Le fichier joint, s'il y en a un")
    lu_le: Timestamp | None = Field(description="Sa première lecture par l'autre côté (accusé de lecture)")
    lu_par: str | None = Field(description="Qui l'a lu le premier, de l'autre côté")
    non_lu: bool = Field(description="Écrit par l'autre côté et pas encore lu par le vôtre")


class ThreadDeclaration(BaseModel):
    id: uuid.UUID
    activite: str
    exercice: int
    type_declaration: str = Field(examples=["Prévisionnelle"])


class ThreadReply(BaseModel):
    model_config = example(
        {
            "declaration": {
                "id": "3f1e2d4c-5b6a-4789-8c0d-1e2f3a4b5c6d",
                "activite": "Multi-accueil Les Lucioles",
                "exercice": 2027,
                "type_declaration": "Prévisionnelle",
            },
            "cote": "partenaire",
            "messages": [MESSAGE_EXAMPLE],
            "non_lus": 0,
            "limite": "10 Mo",
            "types": "PDF, PNG, JPEG, XLSX, ODS ou CSV",
        }
    )

    declaration: ThreadDeclaration
    cote: str = Field(description="Votre côté : partenaire ou caf")
    messages: list[MessageReply] = Field(description="Du plus ancien au plus récent")
    non_lus: int = Field(description="Les messages de l'autre côté que votre côté n'a pas encore lus")
    limite: str = Field(description="La taille maximale d'un fichier joint", examples=["10 Mo"])
    types: str = Field(description="Les types de fichier acceptés", examples=["PDF, PNG, JPEG"])


class MarkedReply(BaseModel):
    model_config = example({"marques": 2, "non_lus": 0})

    marques: int = Field(description="Combien de messages viennent d'être marqués lus")
    non_lus: int


def post_body(limit: int, accepted: list[str]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["texte"],
                        "properties": {
                            "texte": {"type": "string", "description": "Le message (obligatoire, 5 000 caractères)"},
                            FILE_FIELD: {
                                "type": "string",
                                "format": "binary",
                                "description": f"Facultatif. {too_large_message(limit)} Types : "
                                + ", ".join(KINDS[k].label for k in accepted if k in KINDS),
                            },
                        },
                    }
                }
            },
        }
    }


def router(runtime: ServiceRuntime, current_caller) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["échanges avec la Caf"], route_class=ReplyRoute)
    who = Depends(current_caller)
    settings = runtime.settings
    base = "/declarations/{declaration_id}/messages"

    @api.get(
        base,
        summary="Les échanges d'une déclaration entre le partenaire et sa Caf",
        description="Pour l'approbateur et les fournisseurs de données de l'activité, et les agents de la Caf de la "
        "déclaration. Lire ne marque rien : `POST …/messages/lus` marque lus les messages de l'autre côté.",
        response_model=ThreadReply,
        responses=refusals(*SESSION, 404, 422),
    )
    async def listing(declaration_id: uuid.UUID, caller: Caller = who) -> dict[str, Any]:
        return await call_local(thread.listing(runtime, forwarded_caller(caller.rpc()), declaration_id))

    @api.post(
        base,
        status_code=201,
        summary="Écrire à l'autre côté (un fichier facultatif)",
        description="Formulaire multipart : `texte` (obligatoire) et `fichier` (facultatif ; son type est lu dans son "
        "contenu). L'autre côté est prévenu par courriel, sans le contenu du message.",
        openapi_extra=post_body(settings.attachment_max_bytes, settings.attachment_types),
        response_model=MessageReply,
        responses=upload_refusals(settings.attachment_max_bytes, 404),
    )
    async def post(declaration_id: uuid.UUID, request: Request, caller: Caller = who) -> dict[str, Any]:
        await call_local(thread.check_writable(runtime, forwarded_caller(caller.rpc()), declaration_id))
        upload = await read_upload(request, settings.attachment_max_bytes, file_required=False)
        return await call_local(
            thread.post(
                runtime,
                forwarded_caller(caller.rpc()),
                declaration_id,
                upload.fields.get("texte"),
                upload.filename,
                upload.content,
            )
        )

    @api.post(
        base + "/lus",
        summary="Marquer lus les messages de l'autre côté (accusés de lecture)",
        response_model=MarkedReply,
        responses=refusals(*SESSION, 404, 422),
    )
    async def mark_read(declaration_id: uuid.UUID, caller: Caller = who) -> dict[str, Any]:
        return await call_local(thread.mark_read(runtime, forwarded_caller(caller.rpc()), declaration_id))

    @api.get(
        base + "/{message_id}/fichier",
        summary="Télécharger le fichier joint à un message",
        response_class=Response,
        responses=file_download_responses("Le fichier, sous son type réel (lu dans son contenu au dépôt)"),
    )
    async def download(declaration_id: uuid.UUID, message_id: uuid.UUID, caller: Caller = who) -> Response:
        listed, media_type, content = await call_local(
            thread.download(runtime, forwarded_caller(caller.rpc()), declaration_id, message_id)
        )
        return file_response(listed, media_type, content)

    return api
