"""Calls from the gateway to the services behind it, with their refusals turned into HTTP answers."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from fastapi import HTTPException
from fastapi.encoders import jsonable_encoder

from afas_declaration.application.errors import Conflict, Forbidden, Invalid, NotFound, Refused
from afas_shared.messaging.rpc import RemoteError, RpcFailure, ServiceUnavailable
from afas_shared.runtime import ServiceRuntime

STATUS = {
    "invalid": 422,
    "conflict": 409,
    "forbidden": 403,
    "not_found": 404,
    "unauthorized": 401,
    "locked": 429,
    "too_large": 413,
    "unsupported_type": 415,
    "unavailable": 503,
}
SERVICE_NAMES = {
    "identity": "Le service d'identité",
    "habilitation": "Le service des habilitations",
    "declaration": "Le service des déclarations",
    "estimation": "Le service d'estimation",
    "notification": "Le service des notifications",
}
# The use cases' refusals and their codes on the bus (and, through STATUS, in HTTP)
REFUSAL_CODES: dict[type[Refused], str] = {kind: kind.code for kind in (Invalid, Conflict, Forbidden, NotFound)}


def as_rpc_failure(refusal: Refused) -> RpcFailure:
    """A use case's refusal as the bus answers it: same code, same French message, same field."""
    return RpcFailure(refusal.code, refusal.detail, refusal.field)


async def call_identity(runtime: ServiceRuntime, verb: str, payload: dict[str, Any], **options: Any) -> Any:
    return await call_service(runtime, "identity", verb, payload, **options)


async def call_service(
    runtime: ServiceRuntime, service: str, verb: str, payload: dict[str, Any], timeout: float | None = None
) -> Any:
    try:
        reply = await runtime.request(service, verb, jsonable_encoder(payload), timeout=timeout)
    except ServiceUnavailable:
        raise HTTPException(503, f"{SERVICE_NAMES[service]} ne répond pas, réessayez plus tard.") from None
    except RemoteError as exc:
        raise _http_error(service, exc.error, exc.detail, exc.field) from None
    return reply["result"]


async def call_local(call: Awaitable[Any]) -> Any:
    """The declaration service's own use cases, refused the same way as a remote service's."""
    try:
        return await call
    except Refused as refusal:  # its own, or a shared helper's it calls (the caller's claims, the text rules)
        raise _http_error("declaration", refusal.code, refusal.detail, refusal.field) from None


def refusal_as_http(service: str, refusal: RpcFailure) -> HTTPException:
    return _http_error(service, refusal.code, refusal.detail, refusal.field)


def _http_error(service: str, code: str, detail: Any, field: str | None) -> HTTPException:
    status = STATUS.get(code)
    if status is None:
        return HTTPException(502, f"Erreur : {SERVICE_NAMES[service].lower()} n'a pas pu répondre.")
    if status == 422:  # every refusal names its field as the API names it (its request's contract): no map here
        loc = ["body", *(field or "body").split(".")]
        return HTTPException(422, [{"loc": loc, "msg": detail, "type": "value_error"}])
    return HTTPException(status, detail, headers={"WWW-Authenticate": "Bearer"} if status == 401 else None)
