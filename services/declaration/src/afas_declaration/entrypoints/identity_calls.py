"""Calls from the gateway to identity, with its refusals turned into HTTP answers."""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException
from fastapi.encoders import jsonable_encoder

from afas_declaration.entrypoints.identity_schemas import FIELD_NAMES
from afas_shared.messaging.rpc import RemoteError, ServiceUnavailable
from afas_shared.runtime import ServiceRuntime

STATUS = {"invalid": 422, "conflict": 409, "forbidden": 403, "not_found": 404, "unauthorized": 401, "locked": 429}


async def call_identity(runtime: ServiceRuntime, verb: str, payload: dict[str, Any]) -> Any:
    try:
        reply = await runtime.request("identity", verb, jsonable_encoder(payload))
    except ServiceUnavailable:
        raise HTTPException(503, "Le service d'identité ne répond pas, réessayez plus tard.") from None
    except RemoteError as exc:
        status = STATUS.get(exc.error)
        if status is None:
            raise HTTPException(502, "Erreur du service d'identité.") from None
        if status == 422:
            field = FIELD_NAMES.get(exc.field or "", exc.field or "body")
            detail = [{"loc": ["body", *field.split(".")], "msg": exc.detail, "type": "value_error"}]
            raise HTTPException(422, detail) from None
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        raise HTTPException(status, exc.detail, headers=headers) from None
    return reply["result"]
