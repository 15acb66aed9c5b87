"""The secure thread on the pages (issue 19): « Échanges avec la Caf » of a declaration, for the partner's users and
the Caf's agents alike — the messages with their read receipts, a form to write (a file optional; multipart, CSRF,
no JavaScript needed). Opening the page marks the other side's messages read."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from afas_declaration.application import thread
from afas_declaration.domain.attachments import size_label
from afas_declaration.gateway.api.attachment_routes import file_response, read_upload
from afas_declaration.gateway.clients.service_calls import call_local
from afas_declaration.gateway.web.attachment_pages import TITLES
from afas_declaration.gateway.web.declaration_pages import errors_of, failure_page
from afas_declaration.gateway.web.pages import Viewer, check_csrf, redirect, render
from afas_shared.auth.caller import forwarded_caller
from afas_shared.runtime import ServiceRuntime


def router(runtime: ServiceRuntime, viewer) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    limit = runtime.settings.attachment_max_bytes

    def caller(me: Viewer):
        return forwarded_caller(me.caller.rpc())

    async def page(
        request: Request, me: Viewer, declaration_id: uuid.UUID, problem: HTTPException | None = None, text: str = ""
    ) -> HTMLResponse:
        fil = await call_local(thread.listing(runtime, caller(me), declaration_id))
        for m in fil["messages"]:
            if m["piece"]:
                m["piece"]["taille_libelle"] = size_label(m["piece"]["taille"])
                m["piece"]["ouvrir"] = f"/declarations/{declaration_id}/messages/{m['id']}/fichier"
        if fil["non_lus"]:  # the page shows them: read now (the counts go down)
            await call_local(thread.mark_read(runtime, caller(me), declaration_id))
        context: dict[str, Any] = {
            "titre": "Échanges avec la Caf" if fil["cote"] == thread.PARTNER else "Échanges avec le partenaire",
            "rubrique": "instruction" if me.is_caf else "declarations",
            "fil": fil,
            "retour": f"/caf/instruction/{declaration_id}" if me.is_caf else f"/declarations/{declaration_id}",
            "erreurs": errors_of(problem) if problem else [],
            "texte": text,
            "envoye": request.query_params.get("envoye") == "1",
        }
        return render(request, "echanges.html", context, problem.status_code if problem else 200, viewer=me)

    @web.get("/declarations/{declaration_id}/messages", response_class=HTMLResponse)
    async def show(request: Request, declaration_id: uuid.UUID, me: Viewer = Depends(viewer)) -> Response:
        try:
            return await page(request, me, declaration_id)
        except HTTPException as refusal:
            return failure_page(request, me, refusal)

    @web.post("/declarations/{declaration_id}/messages", response_class=HTMLResponse)
    async def write(request: Request, declaration_id: uuid.UUID, me: Viewer = Depends(viewer)) -> Response:
        try:  # who may not write here never has its upload read
            await call_local(thread.check_writable(runtime, caller(me), declaration_id))
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        try:
            upload = await read_upload(request, limit, file_required=False)
        except HTTPException as refusal:
            if refusal.status_code != 413:
                raise
            context = {"titre": TITLES[413], "erreurs": errors_of(refusal), "retour": request.url.path}
            return render(request, "echec.html", context, 413, viewer=me)
        check_csrf(me, upload.fields.get("csrf"))
        text = upload.fields.get("texte") or ""
        try:
            await call_local(
                thread.post(runtime, caller(me), declaration_id, text, upload.filename, upload.content or None)
            )
        except HTTPException as refusal:
            if refusal.status_code in (403, 404):
                return failure_page(request, me, refusal)
            return await page(request, me, declaration_id, refusal, text)
        return redirect(request, f"/declarations/{declaration_id}/messages?envoye=1#ecrire")

    @web.get("/declarations/{declaration_id}/messages/{message_id}/fichier")
    async def download(
        request: Request, declaration_id: uuid.UUID, message_id: uuid.UUID, me: Viewer = Depends(viewer)
    ) -> Response:
        try:
            listed, media_type, content = await call_local(
                thread.download(runtime, caller(me), declaration_id, message_id)
            )
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        return file_response(listed, media_type, content)

    return web
