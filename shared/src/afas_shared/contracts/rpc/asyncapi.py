"""The request/reply contracts in a service's AsyncAPI document: each verb's request as its message payload,
its reply (``{"result": …}``) as the operation's reply.

FastStream documents a subscriber's payload from its handler's signature; an RPC handler takes any
payload (it parses it itself, to refuse a bad field in French), so the schemas come from the contracts.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, create_model

from afas_shared.contracts.rpc import RPC_CONTRACTS, RpcContract

REF = "#/components/schemas/{model}"


def describe_verbs(doc: dict[str, Any]) -> dict[str, Any]:
    """``doc`` with the payload of every RPC channel it lists that has a contract, and that channel's reply."""
    components = doc.setdefault("components", {})
    schemas, messages = components.setdefault("schemas", {}), components.setdefault("messages", {})
    for channel_name in doc.get("channels", {}):
        contract = contract_of(channel_name)
        if contract is None:
            continue
        request_name, reply_name = f"{channel_name}:Message:Payload", f"{channel_name}:Reply:Payload"
        schemas[request_name] = _schema(contract.request, schemas)
        schemas[reply_name] = _schema(reply_envelope(contract), schemas)
        messages[f"{channel_name}:Reply"] = {
            "title": f"{channel_name}:Reply",
            "payload": {"$ref": f"#/components/schemas/{reply_name}"},
        }
        operation = doc.get("operations", {}).get(channel_name)
        if operation is not None:
            operation["reply"] = {
                "address": {
                    "location": "$message.header#/reply_to",
                    "description": "The requester's inbox: the NATS reply subject of the request (`_INBOX_<user>.…`)",
                },
                "messages": [{"$ref": f"#/components/messages/{channel_name}:Reply"}],
            }
    return doc


def contract_of(channel_name: str) -> RpcContract | None:
    parts = channel_name.split(".")
    if len(parts) < 4 or parts[-3] != "rpc" or not parts[-1].startswith("v") or not parts[-1][1:].isdigit():
        return None
    return RPC_CONTRACTS.get((parts[-4], parts[-2], int(parts[-1][1:])))


def reply_envelope(contract: RpcContract) -> type[BaseModel]:
    if not contract.in_result:
        return contract.reply
    return create_model(f"{contract.verb}_reply", result=(contract.reply, ...))


def _schema(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, Any]:
    """The model's schema, its nested models moved to ``components/schemas`` where AsyncAPI resolves them."""
    schema = model.model_json_schema(ref_template=REF)
    schemas.update(schema.pop("$defs", {}))
    return schema
