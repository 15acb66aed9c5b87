"""Calls from the gateway to the services behind it, with their refusals turned into HTTP answers."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from fastapi.encoders import jsonable_encoder

from afas_declaration.entrypoints import activity_schemas, identity_schemas
from afas_shared.messaging.rpc import RemoteError, ServiceUnavailable
from afas_shared.runtime import ServiceRuntime

STATUS = {"invalid": 422, "conflict": 409, "forbidden": 403, "not_found": 404, "unauthorized": 401, "locked": 429}


SERVICE_NAMES = {"identity": "Le service d'identité", "habilitation": "Le service des habilitations"}
FIELD_NAMES = {"identity": identity_schemas.FIELD_NAMES, "habilitation": activity_schemas.FIELD_NAMES}


async def call_identity(runtime: ServiceRuntime, verb: str, payload: dict[str, Any]) -> Any:
    return await call_service(runtime, "identity", verb, payload)


async def call_service(runtime: ServiceRuntime, service: str, verb: str, payload: dict[str, Any]) -> Any:
    try:
        reply = await runtime.request(service, verb, jsonable_encoder(payload))
    except ServiceUnavailable:
        raise HTTPException(503, f"{SERVICE_NAMES[service]} ne répond pas, réessayez plus tard.") from None
    except RemoteError as exc:
        status = STATUS.get(exc.error)
        if status is None:
            raise HTTPException(502, f"Erreur : {SERVICE_NAMES[service].lower()} n'a pas pu répondre.") from None
        if status == 422:
            field = FIELD_NAMES[service].get(exc.field or "", exc.field or "body")
            detail = [{"loc": ["body", *field.split(".")], "msg": exc.detail, "type": "value_error"}]
            raise HTTPException(422, detail) from None
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        raise HTTPException(status, exc.detail, headers=headers) from None
    return reply["result"]
