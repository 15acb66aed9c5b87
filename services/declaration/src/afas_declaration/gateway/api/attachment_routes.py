"""Pièces justificatives of a declaration: attach (multipart), list, download — under the declaration's own
authorization (``application.attachments``)."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile
from starlette.types import Message

from afas_declaration.application import attachments
from afas_declaration.domain.attachments import KINDS, too_large_message
from afas_declaration.gateway.api.refusals import SESSION, refusals
from afas_declaration.gateway.api.reply_fields import Timestamp, example
from afas_declaration.gateway.api.reply_route import ReplyRoute
from afas_declaration.gateway.clients.service_calls import call_local
from afas_declaration.gateway.session.caller import Caller
from afas_shared.auth.caller import forwarded_caller
from afas_shared.runtime import ServiceRuntime

# What a multipart body adds around the file (boundaries, the other fields): a declared length beyond the limit
# plus this is refused before anything is read
MULTIPART_OVERHEAD = 64 * 1024
FILE_FIELD = "fichier"


class AttachmentReply(BaseModel):
    model_config = example(
        {
            "id": "7d0f5c1e-2b1a-4f7e-9d8c-3a2b1c0d9e8f",
            "nom": "Relevé des heures facturées.pdf",
            "type": "PDF",
            "taille": 48213,
            "sha256": "9f2c4e8a1b7d3f6e0a5c9b2d4f8e1a7c3b6d0e9f2a5c8b1d4e7f0a3c6b9d2e5f",
            "controle": "taux_facturation",
            "lieu": None,
            "deposee_par": "Claire Martin",
            "deposee_le": "2027-01-10T14:05:12+01:00",
            "lien": "/api/v1/declarations/3f1e2d4c-5b6a-4789-8c0d-1e2f3a4b5c6d/pieces-jointes/"
            "7d0f5c1e-2b1a-4f7e-9d8c-3a2b1c0d9e8f",
        }
    )

    id: uuid.UUID
    nom: str = Field(description="Le nom du fichier, l'extension étant celle de son type réel")
    type: str = Field(description="Le type lu dans le contenu : PDF, PNG, JPEG, XLSX, ODS ou CSV", examples=["PDF"])
    taille: int = Field(description="En octets")
    sha256: str = Field(description="L'empreinte SHA-256 du contenu (hexadécimal)")
    controle: str | None = Field(
        description="La clé du contrôle dont elle appuie la justification ; absent : la déclaration entière"
    )
    lieu: str | None = Field(description="Le lieu auquel elle se rapporte ; absent : toute l'activité")
    deposee_par: str
    deposee_le: Timestamp
    lien: str = Field(description="L'adresse de téléchargement")


def upload_body(limit: int, accepted: list[str]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": [FILE_FIELD],
                        "properties": {
                            FILE_FIELD: {
                                "type": "string",
                                "format": "binary",
                                "description": f"{too_large_message(limit)} Types : "
                                + ", ".join(KINDS[k].label for k in accepted if k in KINDS),
                            },
                            "lieu": {"type": "string", "format": "uuid", "description": "Le lieu (facultatif)"},
                            "controle": {"type": "string", "description": "La clé d'un contrôle à justifier"},
                        },
                    }
                }
            },
        }
    }


class Upload(BaseModel):
    """A multipart upload as the use case takes it: the file's name and bytes, and the fields beside it."""

    filename: str | None
    content: bytes
    fields: dict[str, str]


async def read_upload(request: Request, limit: int, *, file_required: bool = True) -> Upload:
    """The multipart form, refused with 413 as soon as its declared length shows a file beyond ``limit``; the file
    part is read up to ``limit`` + 1 bytes (the use case names the limit when it is exceeded). Without
    ``file_required``, a form without a file (or with an empty file field) gives empty ``content``."""
    budget = limit + MULTIPART_OVERHEAD
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > budget:
        raise HTTPException(413, too_large_message(limit))
    received = 0

    async def counted() -> Message:
        # a body sent without its length (chunked) is counted as it arrives: never spooled beyond the limit
        nonlocal received
        message = await request.receive()
        received += len(message.get("body", b""))
        if received > budget:
            raise HTTPException(413, too_large_message(limit))
        return message

    try:
        form = await Request(request.scope, counted).form(max_files=1, max_fields=10)
    except HTTPException as refusal:
        if refusal.status_code == 413:
            raise
        raise HTTPException(422, [_missing_file()]) from None  # more than one file: Starlette's 400, in English
    except Exception:  # not multipart, or a malformed body
        raise HTTPException(422, [_missing_file()]) from None
    upload = form.get(FILE_FIELD)
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    if not isinstance(upload, UploadFile):
        if not file_required:
            return Upload(filename=None, content=b"", fields=fields)
        raise HTTPException(422, [_missing_file()])
    content = await upload.read(limit + 1)
    return Upload(filename=upload.filename, content=content, fields=fields)


def _missing_file() -> dict[str, Any]:
    message = "Choisissez un fichier à joindre (un seul par envoi, formulaire multipart)."
    return {"loc": ["body", FILE_FIELD], "msg": message, "type": "missing"}


def site_field(value: str | None) -> uuid.UUID | None:
    if not value:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise HTTPException(422, [{"loc": ["body", "lieu"], "msg": "Lieu inconnu.", "type": "value_error"}]) from None


def upload_refusals(limit: int, *statuses: int) -> dict[int | str, dict[str, Any]]:
    """The refusals of a route taking a file: the route's own, then the limits the file is held to (size, type
    read from the content) and a store that does not answer."""
    meanings = {413: too_large_message(limit), 415: "Type de fichier refusé (lu dans le contenu)"}
    return refusals(*SESSION, *statuses, 413, 415, 422, 503, meanings=meanings)


def file_download_responses(description: str) -> dict[int | str, dict[str, Any]]:
    """The answers of a route giving a stored file back: the file under any of its accepted types, or a refusal
    (the store that does not answer included)."""
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {
        200: {"description": description, "content": {kind.media_type: binary for kind in KINDS.values()}},
        **refusals(*SESSION, 404, 422, 503),
    }


def file_response(listed: dict[str, Any], media_type: str, content: bytes) -> Response:
    """The file as an attachment (never shown inline: a PDF or an image from a partner is not run by the browser
    in the platform's origin), under its clean name (RFC 6266 ``filename*`` for accents)."""
    ascii_name = listed["nom"].encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(listed['nom'])}"
    headers = {"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"}
    return Response(content, media_type=media_type, headers=headers)


def router(runtime: ServiceRuntime, current_caller) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["pièces justificatives"], route_class=ReplyRoute)
    who = Depends(current_caller)
    settings = runtime.settings

    @api.post(
        "/declarations/{declaration_id}/pieces-jointes",
        status_code=201,
        summary="Joindre une pièce justificative (fournisseurs de données, approbateur)",
        description="Formulaire multipart : `fichier`, et `controle` (la clé d'un contrôle à justifier) ou `lieu`. "
        "Le type est lu dans le contenu du fichier, jamais dans son nom. Refusée une fois la déclaration transmise.",
        openapi_extra=upload_body(settings.attachment_max_bytes, settings.attachment_types),
        response_model=AttachmentReply,
        responses=upload_refusals(settings.attachment_max_bytes, 404, 409),
    )
    async def attach(declaration_id: uuid.UUID, request: Request, caller: Caller = who) -> dict[str, Any]:
        await call_local(attachments.check_attachable(runtime, forwarded_caller(caller.rpc()), declaration_id))
        upload = await read_upload(request, settings.attachment_max_bytes)
        return await call_local(
            attachments.attach(
                runtime,
                forwarded_caller(caller.rpc()),
                declaration_id,
                upload.filename,
                upload.content,
                control_key=upload.fields.get("controle") or None,
                site_id=site_field(upload.fields.get("lieu")),
            )
        )

    @api.get(
        "/declarations/{declaration_id}/pieces-jointes",
        summary="Pièces justificatives d'une déclaration (un fournisseur d'un lieu : celles de ses lieux)",
        response_model=list[AttachmentReply],
        responses=refusals(*SESSION, 404, 422),
    )
    async def listing(declaration_id: uuid.UUID, caller: Caller = who) -> list[dict[str, Any]]:
        return await call_local(attachments.listing(runtime, forwarded_caller(caller.rpc()), declaration_id))

    @api.get(
        "/declarations/{declaration_id}/pieces-jointes/{attachment_id}",
        summary="Télécharger une pièce justificative",
        response_class=Response,
        responses=file_download_responses("Le fichier, sous son type réel (lu dans son contenu au dépôt)"),
    )
    async def download(declaration_id: uuid.UUID, attachment_id: uuid.UUID, caller: Caller = who) -> Response:
        listed, media_type, content = await call_local(
            attachments.download(runtime, forwarded_caller(caller.rpc()), declaration_id, attachment_id)
        )
        return file_response(listed, media_type, content)

    @api.delete(
        "/declarations/{declaration_id}/pieces-jointes/{attachment_id}",
        status_code=204,
        summary="Retirer une pièce justificative avant transmission (son auteur, l'approbateur)",
        response_class=Response,
        responses=refusals(*SESSION, 404, 409, 422, 503),
    )
    async def remove(declaration_id: uuid.UUID, attachment_id: uuid.UUID, caller: Caller = who) -> Response:
        await call_local(attachments.remove(runtime, forwarded_caller(caller.rpc()), declaration_id, attachment_id))
        return Response(status_code=204)

    return api
