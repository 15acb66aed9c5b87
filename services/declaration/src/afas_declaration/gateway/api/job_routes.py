"""Long work answered 202 and followed here: ``GET /api/v1/jobs/{job_id}`` (a campaign's opening)."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Depends

from afas_declaration.application import campaign_opening
from afas_declaration.gateway.api import job_replies as r
from afas_declaration.gateway.api.refusals import SESSION, refusals
from afas_declaration.gateway.api.reply_route import ReplyRoute
from afas_declaration.gateway.clients.service_calls import call_local
from afas_declaration.gateway.session.caller import Caller
from afas_shared.auth.caller import forwarded_caller
from afas_shared.runtime import ServiceRuntime


def router(runtime: ServiceRuntime, current_caller) -> APIRouter:
    api = APIRouter(prefix="/api/v1", tags=["traitements"], route_class=ReplyRoute)
    who = Depends(current_caller)

    @api.get(
        "/jobs/{job_id}",
        summary="Avancement d'un traitement long (ouverture de campagne) et son compte rendu",
        response_model=r.Job,
        responses=refusals(*SESSION, 404),
    )
    async def job(job_id: uuid.UUID, caller: Caller = who) -> dict[str, Any]:
        return await call_local(campaign_opening.job_view(runtime, forwarded_caller(caller.rpc()), job_id))

    return api
