"""The Caf's catalogue of activities: the list a page at a time (« Activités »), the CSV import form, and the import's
progress and report — a background job in habilitation, followed on a page that refreshes itself while it runs (no
JavaScript: a ``<meta http-equiv="refresh">`` and an « Actualiser » link)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from afas_declaration.gateway.api.activity_routes import send_import
from afas_declaration.gateway.clients.typed_calls import call_typed, typed
from afas_declaration.gateway.web.caf_common import refused
from afas_declaration.gateway.web.declaration_pages import errors_of, failure_page
from afas_declaration.gateway.web.page_links import CURSOR, around
from afas_declaration.gateway.web.pages import Viewer, check_csrf, redirect, render
from afas_shared.contracts.limits import CATALOGUE_IMPORT_LIMIT, CATALOGUE_IMPORT_MAX_BYTES, CATALOGUE_IMPORT_TOO_LARGE
from afas_shared.contracts.rpc import habilitation_jobs as j
from afas_shared.runtime import ServiceRuntime

REFRESH_SECONDS = 3  # how often the import's page reloads itself while the job runs


def router(runtime: ServiceRuntime, viewer) -> APIRouter:
    web = APIRouter(include_in_schema=False)

    @web.get("/caf/activites", response_class=HTMLResponse)
    async def activities(request: Request, me: Viewer = Depends(viewer)) -> HTMLResponse:
        return await _activities(request, me)

    async def _activities(request: Request, me: Viewer, errors=None, status: int = 200) -> HTMLResponse:
        if (refusal := refused(request, me)) is not None:
            return refusal
        asked = typed(j.ActivityPageRequestV1, curseur=request.query_params.get(CURSOR) or None)
        try:
            page = await call_typed(runtime, "habilitation", "activity_page", asked, me.caller)
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        context = {
            "titre": "Activités",
            "rubrique": "activites",
            "page": page,
            "liens": around(request, page),
            "limite": CATALOGUE_IMPORT_LIMIT,
            "erreurs": errors or [],
        }
        return render(request, "caf_activites.html", context, status, viewer=me)

    @web.post("/caf/activites/import", response_class=HTMLResponse)
    async def import_file(request: Request, me: Viewer = Depends(viewer)) -> Response:
        if (refusal := refused(request, me)) is not None:
            return refusal
        form = await request.form()  # the file is spooled to disk beyond 1 MiB, never held twice
        csrf = form.get("csrf")
        check_csrf(me, csrf if isinstance(csrf, str) else None)
        upload = form.get("fichier")
        if not isinstance(upload, UploadFile) or not upload.filename:
            problem = HTTPException(422, [{"loc": ["body", "fichier"], "msg": "Choisissez un fichier CSV."}])
            return await _activities(request, me, errors_of(problem), 422)
        body = await upload.read(CATALOGUE_IMPORT_MAX_BYTES + 1)
        try:
            if len(body) > CATALOGUE_IMPORT_MAX_BYTES:
                raise HTTPException(413, CATALOGUE_IMPORT_TOO_LARGE)
            started = await send_import(runtime, me.caller, body)
        except HTTPException as refusal:
            return await _activities(request, me, errors_of(refusal), refusal.status_code)
        return redirect(request, f"/caf/activites/import/{started['job_id']}")

    @web.get("/caf/activites/import/{job_id}", response_class=HTMLResponse)
    async def import_progress(job_id: uuid.UUID, request: Request, me: Viewer = Depends(viewer)) -> HTMLResponse:
        if (refusal := refused(request, me)) is not None:
            return refusal
        try:
            job = await call_typed(runtime, "habilitation", "job", typed(j.JobIdRequestV1, job_id=job_id), me.caller)
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        running = job["etat"] != "terminee"
        context = {
            "titre": "Import du catalogue" + (" en cours" if running else " terminé"),
            "rubrique": "activites",
            "job": job,
            "en_cours": running,
            "actualiser": REFRESH_SECONDS if running else None,
            "part": round(100 * job["traitees"] / job["total"]) if job.get("total") else None,
        }
        return render(request, "caf_import.html", context, viewer=me)

    return web
