"""A service's AsyncAPI document as a consumer outside the platform needs it: what FastStream generates, completed
with what travels on the wire.

- every event message (published or consumed) has the envelope as its payload, one example built from its
  contract (``contracts.examples``), and the NATS headers it carries, named as on the wire (``Nats-Msg-Id``,
  ``X-Correlation-Id``, ``traceparent``);
- every request/reply verb has its request and reply schemas (``rpc.asyncapi.describe_verbs``), an example of
  each and the request's headers (``X-Correlation-Id``, ``Afas-Credential``);
- the server says how a client authenticates: a NATS user and password (``afas_shared.nats_auth``), one per
  service, and the read-only ``caf-consumer`` for the Caf back office (docs/consumers.md).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from pydantic import BaseModel

from afas_shared.auth.credential import CREDENTIAL_HEADER
from afas_shared.contracts.bus_permissions import CAF_CONSUMER, CAF_CONSUMER_STREAMS
from afas_shared.contracts.envelope import Envelope, EventData
from afas_shared.contracts.examples import MOMENT, example_of, example_uuid
from afas_shared.contracts.registry import REGISTRY
from afas_shared.contracts.rpc.asyncapi import REF, contract_of, describe_verbs, reply_envelope
from afas_shared.messaging.context import CORRELATION_HEADER

SERVER = "production"
SECURITY_SCHEME = "natsUserPassword"
MSG_ID_HEADER = "Nats-Msg-Id"
TRACE_HEADER = "traceparent"
CORRELATION_LOCATION = f"$message.header#/{CORRELATION_HEADER}"
# What an event's `subject` (its aggregate) is, in the order a contract's fields are looked at.
AGGREGATE_FIELDS = ("declaration_id", "grant_id", "activity_id", "user_id", "partner_id", "campaign_id")

_CORRELATION = {
    "type": "string",
    "description": "Id shared by every message of one user-level operation (the envelope's `correlation_id`).",
}
_TRACE = {
    "type": "string",
    "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
    "description": "W3C trace context of the operation that produced the message, when it was traced.",
}
EVENT_HEADERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        MSG_ID_HEADER: {
            "type": "string",
            "format": "uuid",
            "description": "The event id (the envelope's `id`): JetStream drops a second publish of it within the "
            "stream's duplicate window; a consumer de-duplicates on it.",
        },
        CORRELATION_HEADER: _CORRELATION,
        TRACE_HEADER: _TRACE,
    },
    "required": [MSG_ID_HEADER, CORRELATION_HEADER],
}
REQUEST_HEADERS: dict[str, Any] = {
    "type": "object",
    "properties": {
        CORRELATION_HEADER: _CORRELATION,
        CREDENTIAL_HEADER: {
            "type": "string",
            "description": "The session token of the person a service calls for; the answering service verifies it "
            "and believes nothing else about the caller. Absent for a service's own calls.",
        },
        TRACE_HEADER: _TRACE,
    },
    "required": [CORRELATION_HEADER],
}
EXAMPLE_CORRELATION = str(example_uuid("correlation"))
EXAMPLE_TRACE = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def complete(doc: dict[str, Any]) -> dict[str, Any]:
    describe_verbs(doc)
    _secure_server(doc)
    components = doc.setdefault("components", {})
    schemas, messages = components.setdefault("schemas", {}), components.setdefault("messages", {})
    for name, message in messages.items():
        contract = _event_of(name)
        if contract is not None:
            _describe_event(name, message, contract, schemas)
        elif (verb := contract_of(name.split(":")[0])) is not None:
            if name.endswith(":Reply"):
                message["examples"] = [{"name": "reply", "payload": example_of(reply_envelope(verb))}]
            else:
                message["headers"] = REQUEST_HEADERS
                message["correlationId"] = {"location": CORRELATION_LOCATION}
                message["examples"] = [
                    {
                        "name": "request",
                        "summary": verb.summary or f"{verb.service}.{verb.verb}",
                        "headers": {CORRELATION_HEADER: EXAMPLE_CORRELATION},
                        "payload": example_of(verb.request),
                    }
                ]
    return doc


def event_example(contract: type[EventData]) -> dict[str, Any]:
    """A whole event as a consumer reads it: the envelope around the contract's example."""
    data = example_of(contract)
    if not isinstance(data, dict):  # an event's data is an object, never a root list
        raise TypeError(f"{contract.__name__}: its example is not an object")
    aggregate = next((data[f] for f in AGGREGATE_FIELDS if f in data), data.get("family", contract.subject()))
    envelope = Envelope[contract](  # type: ignore[valid-type]  # the contract, known at run time
        id=example_uuid(f"event {contract.subject()}"),
        type=contract.subject(),
        source=contract.producer,
        time=MOMENT,
        subject=str(aggregate),
        aggregate_version=1,
        correlation_id=EXAMPLE_CORRELATION,
        causation_id=None,
        data=contract.model_validate(data),
    )
    return envelope.model_dump(mode="json")


def _describe_event(name: str, message: dict[str, Any], contract: type[EventData], schemas: dict[str, Any]) -> None:
    envelope = _envelope_schema(contract, schemas)
    if name.count(":") == 2:
        # A consumer's handler takes a batch (FastStream documents a list), but each message on the wire is one event
        # in its envelope: the list schema goes.
        schemas.pop(message.get("payload", {}).get("$ref", "").rsplit("/", 1)[-1], None)
    example = event_example(contract)
    message.update(
        {
            "name": contract.subject(),
            "summary": (contract.__doc__ or "").strip().split("\n")[0],
            "payload": {"$ref": envelope},
            "headers": EVENT_HEADERS,
            "correlationId": {"location": CORRELATION_LOCATION},
            "examples": [
                {
                    "name": contract.event,
                    "summary": f"One {contract.subject()} event as it is published",
                    "headers": {
                        MSG_ID_HEADER: example["id"],
                        CORRELATION_HEADER: EXAMPLE_CORRELATION,
                        TRACE_HEADER: EXAMPLE_TRACE,
                    },
                    "payload": example,
                }
            ],
        }
    )


def _event_of(message_name: str) -> type[EventData] | None:
    """``<subject>:Message`` (published) or ``<consumer>:<subject>:SubscribeMessage`` (consumed)."""
    parts = message_name.split(":")
    subject = parts[0] if len(parts) == 2 else parts[1] if len(parts) == 3 else ""
    return REGISTRY.get(subject)


def _envelope_schema(contract: type[EventData], schemas: dict[str, Any]) -> str:
    """The reference of the contract's envelope schema, added (with the models it names) when absent."""
    model: type[BaseModel] = Envelope[contract]  # type: ignore[valid-type]  # the contract, known at run time
    key = f"Envelope[{contract.__name__}]"
    if key not in schemas:
        schema = model.model_json_schema(ref_template=REF)
        for nested, nested_schema in schema.pop("$defs", {}).items():
            schemas.setdefault(nested, nested_schema)
        schemas[key] = schema
    return REF.format(model=quote(key))


def _secure_server(doc: dict[str, Any]) -> None:
    servers: dict[str, dict[str, Any]] = doc.get("servers", {})
    first: dict[str, Any] = next(iter(servers.values()), {})
    host = first.get("host", "nats:4222")
    doc["servers"] = {
        SERVER: {
            "host": host,
            "protocol": "nats",
            "description": "The platform's NATS JetStream cluster: every client authenticates with its own user "
            "and password; the published event streams are read by the Caf back office as the read-only "
            f"`{CAF_CONSUMER}` user (docs/consumers.md).",
            "security": [{"$ref": f"#/components/securitySchemes/{SECURITY_SCHEME}"}],
        }
    }
    doc.setdefault("components", {})["securitySchemes"] = {
        SECURITY_SCHEME: {
            "type": "userPassword",
            "description": "NATS user and password (CONNECT `user`/`pass`). The server keeps only bcrypt hashes and "
            "each user's subject permissions (afas_shared.nats_auth): a service publishes its own events and calls "
            f"the verbs its contracts need; `{CAF_CONSUMER}` may only read the {', '.join(CAF_CONSUMER_STREAMS)} "
            "streams through consumers of its own, never publish nor call a verb.",
        }
    }
    for channel in doc.get("channels", {}).values():
        channel["servers"] = [{"$ref": f"#/servers/{SERVER}"}]
