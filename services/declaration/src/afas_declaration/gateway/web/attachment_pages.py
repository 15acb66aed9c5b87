"""Pièces justificatives on the pages: the upload form (multipart, no JavaScript needed, CSRF like every form) of a
declaration's page and of each justification on the controls page, and the download links."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from afas_declaration.application import attachments
from afas_declaration.gateway.api.attachment_routes import file_response, read_upload, site_field
from afas_declaration.gateway.clients.service_calls import call_local
from afas_declaration.gateway.web.declaration_pages import errors_of
from afas_declaration.gateway.web.pages import Viewer, check_csrf, redirect, render
from afas_shared.auth.caller import forwarded_caller
from afas_shared.runtime import ServiceRuntime

TITLES = {413: "Fichier trop volumineux", 415: "Type de fichier refusé", 403: "Accès refusé", 404: "Page introuvable"}


def router(runtime: ServiceRuntime, viewer) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    limit = runtime.settings.attachment_max_bytes

    def caller(me: Viewer):
        return forwarded_caller(me.caller.rpc())

    def refused(request: Request, me: Viewer, refusal: HTTPException, back: str) -> HTMLResponse:
        context = {
            "titre": TITLES.get(refusal.status_code, "Pièce non jointe"),
            "erreurs": errors_of(refusal),
            "retour": back,
        }
        return render(request, "echec.html", context, refusal.status_code, viewer=me)

    @web.post("/declarations/{declaration_id}/pieces-jointes", response_class=HTMLResponse)
    async def attach(request: Request, declaration_id: uuid.UUID, me: Viewer = Depends(viewer)) -> Response:
        back = f"/declarations/{declaration_id}#pieces-jointes"
        try:  # who may not attach here never has its upload read
            await call_local(attachments.check_attachable(runtime, caller(me), declaration_id))
        except HTTPException as refusal:
            return refused(request, me, refusal, back)
        try:
            upload = await read_upload(request, limit)
        except HTTPException as refusal:
            if refusal.status_code == 413:
                return refused(request, me, refusal, back)
            upload = None
        check_csrf(me, upload.fields.get("csrf") if upload else None)
        key = upload.fields.get("controle") or None if upload else None
        if key:
            back = f"/declarations/{declaration_id}/controle#controle-{key}"
        if upload is None or not upload.filename:
            problem = HTTPException(422, "Choisissez un fichier à joindre.")
            return refused(request, me, problem, back)
        try:
            await call_local(
                attachments.attach(
                    runtime,
                    caller(me),
                    declaration_id,
                    upload.filename,
                    upload.content,
                    control_key=key,
                    site_id=site_field(upload.fields.get("lieu")),
                )
            )
        except HTTPException as refusal:
            return refused(request, me, refusal, back)
        return redirect(request, back)

    @web.post("/declarations/{declaration_id}/pieces-jointes/{attachment_id}/retrait", response_class=HTMLResponse)
    async def remove(
        request: Request, declaration_id: uuid.UUID, attachment_id: uuid.UUID, me: Viewer = Depends(viewer)
    ) -> Response:
        submitted = {k: v for k, v in (await request.form()).items() if isinstance(v, str)}
        check_csrf(me, submitted.get("csrf"))
        back = submitted.get("retour") or f"/declarations/{declaration_id}#pieces-jointes"
        if not back.startswith(f"/declarations/{declaration_id}"):  # never a redirect elsewhere
            back = f"/declarations/{declaration_id}#pieces-jointes"
        try:
            await call_local(attachments.remove(runtime, caller(me), declaration_id, attachment_id))
        except HTTPException as refusal:
            return refused(request, me, refusal, back)
        return redirect(request, back)

    @web.get("/declarations/{declaration_id}/pieces-jointes/{attachment_id}")
    async def download(
        request: Request, declaration_id: uuid.UUID, attachment_id: uuid.UUID, me: Viewer = Depends(viewer)
    ) -> Response:
        try:
            listed, media_type, content = await call_local(
                attachments.download(runtime, caller(me), declaration_id, attachment_id)
            )
        except HTTPException as refusal:
            return refused(request, me, refusal, f"/declarations/{declaration_id}")
        return file_response(listed, media_type, content)

    return web
