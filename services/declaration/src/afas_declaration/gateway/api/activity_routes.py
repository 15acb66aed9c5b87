"""The catalogue of activities and sites: the habilitation part of the public API."""

from __future__ import annotations

import base64
import uuid
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request

from afas_declaration.gateway.api.activity_schemas import ActivityBody, ActivityClosing
from afas_declaration.gateway.api.page_query import PAGINATION
from afas_declaration.gateway.api.refusals import SESSION, refusals
from afas_declaration.gateway.api.reply_route import ReplyRoute
from afas_declaration.gateway.clients.typed_calls import call_typed, carry, typed
from afas_declaration.gateway.session.caller import Caller
from afas_shared.contracts.limits import (
    CATALOGUE_IMPORT_LIMIT,
    CATALOGUE_IMPORT_MAX_BYTES,
    CATALOGUE_IMPORT_PART_BYTES,
    CATALOGUE_IMPORT_TOO_LARGE,
)
from afas_shared.contracts.rpc import RpcRequest
from afas_shared.contracts.rpc import habilitation as h
from afas_shared.contracts.rpc import habilitation_jobs as j
from afas_shared.runtime import ServiceRuntime


def router(runtime: ServiceRuntime, current_caller) -> APIRouter:
    api = APIRouter(prefix="/api/v1/activities", tags=["activités"], route_class=ReplyRoute)
    who = Depends(current_caller)

    async def ask(verb: str, caller: Caller, request: RpcRequest) -> Any:
        return await call_typed(runtime, "habilitation", verb, request, caller)

    @api.get(
        "",
        summary="Activités visibles par l'utilisateur, une page à la fois (par nom)",
        description=PAGINATION,
        response_model=j.ActivityPageV1,
        responses=refusals(*SESSION, 422, 503),
    )
    async def search(
        caller: Caller = who,
        partenaire: uuid.UUID | None = None,
        type: str | None = Query(default=None, max_length=30),
        nature: str | None = Query(default=None, max_length=40),
        limite: int | None = Query(default=None, ge=1, le=1000, description="Lignes par page (50 par défaut)"),
        curseur: str | None = Query(default=None, max_length=2000, description="Le `curseur_suivant` d'une page lue"),
    ) -> dict[str, Any]:
        filters = typed(
            j.ActivityPageRequestV1, partenaire=partenaire, type=type, nature=nature, limite=limite, curseur=curseur
        )
        return await ask("activity_page", caller, filters)

    @api.post(
        "",
        status_code=201,
        summary="Enregistrer une activité (Caf)",
        response_model=h.ActivityV1,
        responses=refusals(*SESSION, 404, 409, 422, 503),
    )
    async def register(body: ActivityBody, caller: Caller = who) -> dict[str, Any]:
        return await ask("register_activity", caller, carry(h.ActivityFieldsV1, body))

    @api.post(
        "/import",
        status_code=202,
        summary=f"Importer le catalogue depuis un fichier CSV (Caf, {CATALOGUE_IMPORT_LIMIT} au plus) : un traitement "
        "en arrière-plan, suivi par `suivi`",
        openapi_extra={
            "requestBody": {
                "content": {"text/csv": {"schema": {"type": "string", "maxLength": CATALOGUE_IMPORT_MAX_BYTES}}},
                "required": True,
            }
        },
        response_model=j.JobV1,
        responses=refusals(*SESSION, 409, 422, 503, meanings={413: CATALOGUE_IMPORT_TOO_LARGE}),
    )
    async def import_csv(request: Request, caller: Caller = who) -> dict[str, Any]:
        return await send_import(runtime, caller, await _read_at_most(request, CATALOGUE_IMPORT_MAX_BYTES))

    @api.get(
        "/{activity_id}",
        summary="Une activité et ses lieux d'implantation",
        response_model=h.ActivityV1,
        responses=refusals(*SESSION, 404, 422, 503),
    )
    async def get(activity_id: uuid.UUID, caller: Caller = who) -> dict[str, Any]:
        return await ask("get_activity", caller, typed(h.ActivityIdRequestV1, activity_id=activity_id))

    @api.put(
        "/{activity_id}",
        summary="Modifier une activité (Caf)",
        response_model=h.ActivityV1,
        responses=refusals(*SESSION, 404, 409, 422, 503),
    )
    async def update(activity_id: uuid.UUID, body: ActivityBody, caller: Caller = who) -> dict[str, Any]:
        return await ask("update_activity", caller, carry(h.UpdateActivityRequestV1, body, activity_id=activity_id))

    @api.post(
        "/{activity_id}/close",
        summary="Fermer une activité (Caf)",
        response_model=h.ActivityV1,
        responses=refusals(*SESSION, 404, 409, 422, 503),
    )
    async def close(activity_id: uuid.UUID, body: ActivityClosing, caller: Caller = who) -> dict[str, Any]:
        return await ask("close_activity", caller, carry(h.CloseActivityRequestV1, body, activity_id=activity_id))

    return api


async def send_import(runtime: ServiceRuntime, caller: Caller, body: bytes) -> dict[str, Any]:
    """The file to habilitation in parts (one request on the bus each, ``CATALOGUE_IMPORT_PART_BYTES`` at most), cut
    anywhere: habilitation joins them before reading. The last part's answer is the job's (« en cours », or done)."""
    try:
        body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise HTTPException(422, "Le fichier doit être encodé en UTF-8.") from None
    upload, size = uuid.uuid4(), CATALOGUE_IMPORT_PART_BYTES
    parts = [body[start : start + size] for start in range(0, len(body), size)] or [b""]
    answer: dict[str, Any] = {}
    for position, part in enumerate(parts):
        request = typed(
            j.ImportPartRequestV1,
            upload_id=upload,
            position=position,
            last=position == len(parts) - 1,
            # base64: its size on the bus is 4/3 of the part's whatever the characters (afas_shared.contracts.limits)
            csv_base64=base64.b64encode(part).decode("ascii"),
        )
        try:
            answer = await call_typed(runtime, "habilitation", "import_part", request, caller)
        except HTTPException as failure:
            if failure.status_code != 503 or position != len(parts) - 1:
                raise
            # the last part's answer was lost (a busy service, the RPC budget spent): the job may exist all the
            # same, under the upload's id — then it is the answer, never a 503 for an import that is running
            return await _started_anyway(runtime, caller, upload, failure)
    return answer


async def _started_anyway(runtime: ServiceRuntime, caller: Caller, upload: uuid.UUID, failure: Exception) -> Any:
    try:
        return await call_typed(runtime, "habilitation", "job", typed(j.JobIdRequestV1, job_id=upload), caller)
    except HTTPException:
        raise failure from None


async def _read_at_most(request: Request, limit: int) -> bytes:
    """The request body, or a 413 as soon as it is known to exceed ``limit`` (declared or received)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise HTTPException(413, CATALOGUE_IMPORT_TOO_LARGE)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise HTTPException(413, CATALOGUE_IMPORT_TOO_LARGE)
    return bytes(body)
