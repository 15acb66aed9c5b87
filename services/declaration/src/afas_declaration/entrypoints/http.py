"""Declaration's own HTTP API (internal: the public API is the gateway's)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from afas_declaration.application.users import list_users
from afas_shared.runtime import ServiceRuntime


def router(runtime: ServiceRuntime) -> APIRouter:
    r = APIRouter(prefix="/internal/v1", tags=["declaration"])

    @r.get("/users", summary="Utilisateurs connus du service")
    async def users() -> list[dict[str, Any]]:
        return await list_users(runtime)

    return r
