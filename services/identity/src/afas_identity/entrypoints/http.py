"""Identity's own HTTP API (internal: the public API is the gateway's)."""

from __future__ import annotations

from fastapi import APIRouter

from afas_identity.application.users import UserView, list_users
from afas_shared.runtime import ServiceRuntime


def router(runtime: ServiceRuntime) -> APIRouter:
    r = APIRouter(prefix="/internal/v1", tags=["identité"])

    @r.get("/users", response_model=list[UserView], summary="Comptes utilisateurs")
    async def users() -> list[UserView]:
        return await list_users(runtime)

    return r
