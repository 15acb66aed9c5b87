"""``/healthz`` (the process answers), ``/readyz`` (database, broker and identity's keys), ``/metrics``.

Health and readiness are served on both ports (public and internal); ``/metrics`` on the internal one only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

ReadinessCheck = Callable[[], Awaitable[dict[str, bool]]]


def health_router(readiness: ReadinessCheck) -> APIRouter:
    router = APIRouter(tags=["exploitation"])

    @router.get("/healthz", summary="Le processus répond")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Base de données et bus joignables, clés de vérification des jetons reçues")
    async def readyz() -> JSONResponse:
        checks = await readiness()
        ready = all(checks.values())
        return JSONResponse({"ready": ready, "checks": checks}, status_code=200 if ready else 503)

    return router


def metrics_router() -> APIRouter:
    router = APIRouter(tags=["exploitation"])

    @router.get("/metrics", summary="Métriques au format Prometheus")
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return router
