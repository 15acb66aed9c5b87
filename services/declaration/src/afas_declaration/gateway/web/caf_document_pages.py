"""Documents from the Caf on the pages: the partner's « Documents » page (list, open) and the publish form of the
Caf's partner page (multipart, CSRF like every form) — the use cases authorize (``application.caf_documents``)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response

from afas_declaration.application import caf_documents
from afas_declaration.domain.attachments import size_label
from afas_declaration.gateway.api.attachment_routes import file_response, read_upload
from afas_declaration.gateway.clients.service_calls import call_local
from afas_declaration.gateway.web.attachment_pages import TITLES
from afas_declaration.gateway.web.declaration_pages import errors_of
from afas_declaration.gateway.web.pages import Viewer, check_csrf, redirect, render
from afas_shared.auth.caller import forwarded_caller
from afas_shared.runtime import ServiceRuntime

NOT_A_PARTNER = HTTPException(403, "Cette page présente les documents reçus par un partenaire de la Caf.")


def router(runtime: ServiceRuntime, viewer) -> APIRouter:
    web = APIRouter(include_in_schema=False)
    limit = runtime.settings.attachment_max_bytes

    def caller(me: Viewer):
        return forwarded_caller(me.caller.rpc())

    def refused(request: Request, me: Viewer, refusal: HTTPException, back: str) -> HTMLResponse:
        context = {"titre": TITLES.get(refusal.status_code, "Document non envoyé"), "retour": back}
        return render(request, "echec.html", context | {"erreurs": errors_of(refusal)}, refusal.status_code, viewer=me)

    def own_partner(me: Viewer) -> uuid.UUID:
        partner = me.caller.claims.get("partner_id")
        if me.kind != "partner" or not partner:
            raise NOT_A_PARTNER
        return uuid.UUID(partner)

    @web.get("/documents", response_class=HTMLResponse)
    async def documents(request: Request, me: Viewer = Depends(viewer)) -> HTMLResponse:
        try:
            listed = await call_local(caf_documents.listing(runtime, caller(me), own_partner(me)))
        except HTTPException as refusal:
            return refused(request, me, refusal, "/accueil")
        for document in listed:
            document["taille_libelle"] = size_label(document["taille"])
            document["ouvrir"] = f"/documents/{document['id']}"
        context = {"titre": "Documents de la Caf", "rubrique": "documents", "documents": listed}
        return render(request, "documents.html", context, viewer=me)

    @web.get("/documents/{document_id}")
    async def open_document(request: Request, document_id: uuid.UUID, me: Viewer = Depends(viewer)) -> Response:
        try:
            listed, media_type, content = await call_local(
                caf_documents.download(runtime, caller(me), own_partner(me), document_id)
            )
        except HTTPException as refusal:
            return refused(request, me, refusal, "/documents")
        return file_response(listed, media_type, content)

    @web.post("/caf/partenaires/{partner_id}/documents", response_class=HTMLResponse)
    async def publish(request: Request, partner_id: uuid.UUID, me: Viewer = Depends(viewer)) -> Response:
        back = f"/caf/partenaires/{partner_id}#documents"
        try:  # who may not publish here never has its upload read
            await call_local(caf_documents.check_publishable(runtime, caller(me), partner_id))
            upload = await read_upload(request, limit)
        except HTTPException as refusal:
            if refusal.status_code not in (403, 404, 413):
                refusal = HTTPException(422, "Choisissez un fichier à envoyer.")
            return refused(request, me, refusal, back)
        check_csrf(me, upload.fields.get("csrf"))
        if not upload.filename:
            return refused(request, me, HTTPException(422, "Choisissez un fichier à envoyer."), back)
        try:
            await call_local(
                caf_documents.publish(runtime, caller(me), partner_id, upload.filename, upload.content, upload.fields)
            )
        except HTTPException as refusal:
            return refused(request, me, refusal, back)
        return redirect(request, back)

    return web
