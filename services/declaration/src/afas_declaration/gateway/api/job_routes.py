"""Long work answered 202 and followed here: ``GET /api/v1/jobs/{job_id}`` (a campaign's opening in declaration; a
CSV import of the catalogue or a bulk grant in habilitation, asked by request/reply)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends, HTTPException

from afas_declaration.application import campaign_opening
from afas_declaration.gateway.api import job_replies as r
from afas_declaration.gateway.api.refusals import SESSION, refusals
from afas_declaration.gateway.api.reply_route import ReplyRoute
from afas_declaration.gateway.clients.service_calls import call_local
from afas_declaration.gateway.clients.typed_calls import call_typed, typed
from afas_declaration.gateway.session.caller import Caller
from afas_shared.auth.caller import forwarded_caller
from afas_shared.contracts.rpc import habilitation_jobs as j
from afas_shared.runtime import ServiceRuntime


def router(runtime: ServiceRuntime, current_caller) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["traitements"], route_class=ReplyRoute)
    who = Depends(current_caller)

    @api.get(
        "/jobs/{job_id}",
        summary="Avancement d'un traitement long (ouverture de campagne, import du catalogue, habilitation "
        "en masse) et son compte rendu",
        response_model=r.Job,
        responses=refusals(*SESSION, 404, 503),
    )
    async def job(job_id: uuid.UUID, caller: Caller = who) -> dict[str, Any]:
        # habilitation's jobs (an import, a bulk grant) first: it answers 404 for any other, and declaration's own
        # (a campaign's opening) refuses a partner before it looks the job up
        try:
            return await call_typed(runtime, "habilitation", "job", typed(j.JobIdRequestV1, job_id=job_id), caller)
        except HTTPException as refusal:
            if refusal.status_code != 404:
                raise
        return await call_local(campaign_opening.job_view(runtime, forwarded_caller(caller.rpc()), job_id))

    return api
