"""Route-side Idempotency-Key: the same answer for a retried create or transmit, never a second effect."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import HTTPException, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse

from afas_declaration.application import idempotency
from afas_declaration.entrypoints.caller import Caller
from afas_shared.runtime import ServiceRuntime

HEADER = "Idempotency-Key"
HEADER_DOC = "Clé choisie par le client (UUID conseillé) : une nouvelle tentative renvoie la même réponse."


async def respond(
    runtime: ServiceRuntime,
    caller: Caller,
    request: Request,
    body: Any,
    status_code: int,
    action: Callable[[], Awaitable[Any]],
) -> JSONResponse:
    async def run() -> tuple[int, Any]:
        return status_code, jsonable_encoder(await action())

    owner = caller.user_id or "operator"
    route = f"{request.method} {request.url.path}"
    try:
        status, content = await idempotency.once(
            runtime,
            owner,
            request.headers.get(HEADER),
            idempotency.fingerprint(route, jsonable_encoder(body)),
            run,
        )
    except idempotency.IdempotencyConflict as exc:
        raise HTTPException(409, exc.message) from None
    return JSONResponse(content, status_code=status)
