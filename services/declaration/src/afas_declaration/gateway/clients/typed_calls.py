"""Typed calls to identity and habilitation: a request model in, its verb's contract checked, API names on the wire.

A refusal naming a field names the request's field as the API names it (``afas_shared.contracts.rpc``), so
the gateway's 422 forwards it as is: no map of field names between the services and the public API.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from pydantic import BaseModel

from afas_declaration.gateway.clients.service_calls import call_service, refusal_as_http
from afas_shared.contracts.rpc import RPC_CONTRACTS, RpcRequest, contract_for
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.messaging.rpc_payload import parse_model
from afas_shared.runtime import ServiceRuntime

R = TypeVar("R", bound=RpcRequest)


class HasCaller(Protocol):
    def rpc(self, **payload: Any) -> dict[str, Any]: ...


def payload_of(service: str, verb: str, request: RpcRequest) -> dict[str, Any]:
    """What travels on the bus for ``request``: refused here if it is not the verb's request model."""
    expected = contract_for(service, verb).request
    if type(request) is not expected:
        raise TypeError(f"{service}.{verb} takes a {expected.__name__}, not a {type(request).__name__}")
    return request.model_dump(mode="json", by_alias=True)


async def call_typed(
    runtime: ServiceRuntime,
    service: str,
    verb: str,
    request: RpcRequest,
    caller: HasCaller | None = None,
    **options: Any,
) -> Any:
    payload = payload_of(service, verb, request)
    return await call_service(runtime, service, verb, caller.rpc(**payload) if caller else payload, **options)


def from_form(model: type[R], **fields: Any) -> R:
    """A request built from fields named as the API names them (a page's form, a body and a path's ids).

    A value the contract refuses is the 422 the service itself would answer (same field, same French
    message): the gateway checks no more and no less than the service does.
    """
    try:
        return parse_model(model, fields, by_alias=True, by_name=False)
    except RpcFailure as refusal:
        raise refusal_as_http(_service_of(model), refusal) from None


def typed(model: type[R], **fields: Any) -> R:
    """A request built from the gateway's own values (path ids, query filters) by either name: a value the
    contract refuses (a control character in a filter…) is the service's 422, never an unhandled error."""
    try:
        return parse_model(model, fields)
    except RpcFailure as refusal:
        raise refusal_as_http(_service_of(model), refusal) from None


def carry(model: type[R], body: BaseModel, **ids: Any) -> R:
    """The request carrying a public API body as is (same names): a body field the contract lacks is a bug here,
    not a value silently dropped on the way (renaming a field in a service breaks the gateway's tests)."""
    values = body.model_dump()
    if unknown := sorted(set(values) - model.wire_names()):
        raise TypeError(f"{model.__name__} has no field {', '.join(unknown)} (the API's body names it)")
    return from_form(model, **values, **ids)


def _service_of(model: type[RpcRequest]) -> str:
    return next(c.service for c in RPC_CONTRACTS.values() if issubclass(c.request, model))


async def ask(runtime: ServiceRuntime, service: str, verb: str, caller: HasCaller | None, **fields: Any) -> Any:
    """``verb``'s request built from ``fields`` (API names, as a page's form has them), then sent for ``caller``."""
    request = from_form(contract_for(service, verb).request, **fields)
    return await call_typed(runtime, service, verb, request, caller)
