"""Request/reply contracts: ``RPC_CONTRACTS[(service, verb, version)]``, the only list of them.

Every verb of every service (:data:`TYPED_SERVICES`) has one, its ``status`` included.
"""

from __future__ import annotations

from typing import Any

from pydantic import create_model

from afas_shared.contracts.rpc import (
    declaration,
    estimation,
    habilitation,
    habilitation_jobs,
    identity,
    notification,
    platform,
)
from afas_shared.contracts.rpc.base import RpcContract, RpcReply, RpcRequest

TYPED_SERVICES = frozenset({"identity", "habilitation", "declaration", "notification", "estimation"})
RPC_CONTRACTS: dict[tuple[str, str, int], RpcContract] = {
    (c.service, c.verb, c.version): c
    for c in (
        *platform.CONTRACTS,
        *identity.CONTRACTS,
        *habilitation.CONTRACTS,
        *habilitation_jobs.CONTRACTS,
        *declaration.CONTRACTS,
        *notification.CONTRACTS,
        *estimation.CONTRACTS,
    )
}


class UnknownVerb(LookupError):
    pass


def contract_for(service: str, verb: str, version: int = 1) -> RpcContract:
    try:
        return RPC_CONTRACTS[(service, verb, version)]
    except KeyError:
        raise UnknownVerb(f"no contract for {service}.rpc.{verb}.v{version}") from None


def of_service(service: str) -> list[RpcContract]:
    return [c for c in RPC_CONTRACTS.values() if c.service == service]


def pair_schema(contract: RpcContract) -> dict[str, Any]:
    """One JSON Schema for a verb: its request and its reply (``{"result": …}`` carries the reply)."""
    pair = create_model(
        contract.subject,
        __doc__=contract.summary or f"Request/reply {contract.subject}",
        request=(contract.request, ...),
        reply=(contract.reply, ...),
    )  # the reply as the handler returns it; on the bus it is ``{"result": reply}`` unless ``in_result`` is false
    return pair.model_json_schema()


__all__ = [
    "RPC_CONTRACTS",
    "TYPED_SERVICES",
    "RpcContract",
    "RpcReply",
    "RpcRequest",
    "contract_for",
    "of_service",
    "pair_schema",
]
