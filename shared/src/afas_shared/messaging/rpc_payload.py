"""Request payloads read by RPC handlers, and the reply convention the gateway relies on.

A handler registered with ``answer_with_result`` replies ``{"result": …}``; a malformed payload is
refused as ``invalid`` naming the field, in French, instead of surfacing as an internal error.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import to_jsonable_python

from afas_shared.contracts.rpc.base import RpcContract, RpcRequest
from afas_shared.messaging.rpc import RpcFailure

M = TypeVar("M", bound=BaseModel)
R = TypeVar("R", bound=RpcRequest)


def parse_model(model: type[M], data: Any, **options: Any) -> M:
    try:
        return model.model_validate(data or {}, **options)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        field = ".".join(str(p) for p in error.get("loc", ())) or "body"
        message = error["msg"].removeprefix("Value error, ")  # a validator's own French message, as is
        raise RpcFailure("invalid", f"Valeur invalide pour {field} : {message}", field) from None


def parse_uuid(payload: dict[str, Any], key: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(payload[key]))
    except (KeyError, ValueError):
        raise RpcFailure("invalid", f"Identifiant {key} manquant ou invalide.", key) from None


def parse_date(payload: dict[str, Any], key: str) -> date:
    try:
        return date.fromisoformat(str(payload[key]))
    except (KeyError, ValueError):
        raise RpcFailure("invalid", "Date invalide : utilisez le format AAAA-MM-JJ.", key) from None


Handler = Callable[[dict[str, Any]], Awaitable[Any]]


def answer_with_result(register: Callable[[str, Handler], None], verb: str, handler: Handler) -> None:
    """Register ``handler`` (through ``runtime.rpc``) so that its value travels as ``{"result": value}``."""

    async def answer(payload: dict[str, Any]) -> dict[str, Any]:
        return {"result": await handler(payload)}

    register(verb, answer)


ContractHandler = Callable[[Any, Any], Awaitable[Any]]


def the_payload(payload: dict[str, Any]) -> dict[str, Any]:
    """For a verb anyone may call (a login, a link's token): the handler reads no caller."""
    return payload


def answer_contract(
    register: Callable[[str, Handler], None],
    contract: RpcContract,
    handler: ContractHandler,
    who: Callable[[dict[str, Any]], Any] = the_payload,
) -> None:
    """Register ``handler(request, caller)`` for ``contract``'s verb.

    ``who(payload)`` names the caller first (``actor`` travels beside the request), so a caller refused is
    refused before its payload is read; then the request is parsed by its model (a field error refused as
    ``invalid`` naming the API's field), and the reply checked against its model before it leaves.
    """

    async def answer(payload: dict[str, Any]) -> dict[str, Any]:
        caller = who(payload)
        # the wire knows a field by its API name only; code building a request may use the attribute's
        request = parse_model(contract.request, payload, by_alias=True, by_name=False)
        value = await handler(request, caller)
        contract.reply_adapter().validate_python(to_jsonable_python(value))
        return {"result": value}

    register(contract.verb, answer)
