"""The public HTTP API, ``/api/v1``: every call goes through here to the services behind it."""

from __future__ import annotations

import json
import secrets
from importlib.resources import files
from typing import Any

from fastapi import APIRouter, Depends, Header, HTTPException, status
from fastapi.responses import JSONResponse

from afas_declaration.application.status import platform_status
from afas_declaration.config import Settings
from afas_declaration.gateway.api.openapi_security import OPERATOR_ONLY
from afas_declaration.gateway.api.platform_replies import AsyncApiDocument, StatusReport
from afas_declaration.gateway.api.refusals import refusals
from afas_declaration.gateway.api.reply_route import ReplyRoute
from afas_declaration.gateway.clients.typed_calls import call_typed
from afas_declaration.gateway.session.caller import operator_credential
from afas_shared.auth.credential import credential
from afas_shared.contracts.rpc.base import Empty
from afas_shared.contracts.rpc.identity_replies import DemoSeededV1
from afas_shared.runtime import ServiceRuntime

SERVICES = ("identity", "habilitation", "declaration", "estimation", "notification")


def router(runtime: ServiceRuntime, settings: Settings) -> APIRouter:
    api = APIRouter(prefix="/api/v1", route_class=ReplyRoute)

    def operator(authorization: str = Header(default="", description="Bearer <jeton d'administration>")) -> None:
        token = authorization.removeprefix("Bearer ").strip()
        if not token or not secrets.compare_digest(token, settings.admin_token):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "Authentification requise.", headers={"WWW-Authenticate": "Bearer"}
            )

    @api.get(
        "/status",
        response_model=StatusReport,
        tags=["exploitation"],
        summary="État de chaque service de la plateforme",
        responses={
            503: {"model": StatusReport, "description": "Un service est absent ou pas prêt"},
            **refusals(429),
        },
    )
    async def get_status() -> JSONResponse:
        report = await platform_status(runtime, settings.status_timeout_seconds)
        body = StatusReport(
            status="ok" if report.ready else "unavailable", services=report.services, unavailable=report.unavailable
        )
        if not report.ready:
            body.detail = "Service(s) indisponible(s) : " + ", ".join(report.not_ready())
        return JSONResponse(body.model_dump(), status_code=200 if report.ready else 503)

    @api.post(
        "/admin/demo",
        tags=["administration"],
        dependencies=[Depends(operator)],
        summary="Charger les données de démonstration (mode local uniquement)",
        response_model=DemoSeededV1,
        openapi_extra={"security": OPERATOR_ONLY},
        responses=refusals(401, 409, 429, 503),
    )
    async def demo() -> dict[str, Any]:
        # a bulk load (dozens of writes and events), not an interactive call: the bulk budget
        # (AFAS_DECLARATION_BULK_RPC_TIMEOUT_SECONDS, afas_shared.messaging.call_budgets)
        credential.set(await operator_credential(runtime, settings.admin_token))
        return await call_typed(runtime, "identity", "seed_demo", Empty())

    @api.get(
        "/events/asyncapi/{service}",
        tags=["événements"],
        summary="Document AsyncAPI des événements d'un service (pour les systèmes de la Caf)",
        response_model=AsyncApiDocument,
        responses=refusals(404, 429),
    )
    async def asyncapi(service: str) -> dict[str, Any]:
        if service not in SERVICES:
            raise HTTPException(404, f"Service inconnu : {service}. Services : {', '.join(SERVICES)}.")
        doc = files("afas_shared.contracts") / "asyncapi" / f"{service}.json"
        return json.loads(doc.read_text(encoding="utf-8"))

    return api
