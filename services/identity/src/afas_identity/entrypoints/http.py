"""Identity's own HTTP API (internal: the public API is the gateway's)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from afas_identity.application import signing_keys
from afas_shared.runtime import ServiceRuntime


def router(runtime: ServiceRuntime) -> APIRouter:
    r = APIRouter(tags=["identité"])

    @r.get("/.well-known/jwks.json", summary="Clés publiques de vérification des jetons de session")
    async def jwks() -> dict[str, Any]:
        return await signing_keys.public_jwks(runtime)

    return r
