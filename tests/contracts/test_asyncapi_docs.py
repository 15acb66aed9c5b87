"""The checked-in AsyncAPI documents are what the services generate (FastStream) today."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from afas_shared.auth.credential import CREDENTIAL_HEADER
from afas_shared.contracts import registry
from afas_shared.contracts.rpc import RPC_CONTRACTS
from afas_shared.messaging.context import CORRELATION_HEADER

ROOT = Path(__file__).resolve().parents[2]


def _tool():
    spec = importlib.util.spec_from_file_location("asyncapi_docs", ROOT / "tools" / "asyncapi_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_checked_in_asyncapi_documents_are_up_to_date():
    assert _tool().stale() == []


def test_identity_document_describes_the_published_event_with_its_envelope():
    doc = _tool().generate("identity")
    channel = doc["channels"]["identity.user_created.v1"]
    assert channel["address"] == "identity.user_created.v1"
    schemas = doc["components"]["schemas"]
    envelope = next(
        s
        for name, s in schemas.items()
        if "UserCreatedV1" in name and "properties" in s and "aggregate_version" in s["properties"]
    )
    assert {"id", "type", "source", "time", "subject", "correlation_id", "data"} <= set(envelope["properties"])


def test_consumers_are_documented_where_they_consume():
    doc = _tool().generate("habilitation")
    assert any("identity.user_created.v1" in name for name in doc["channels"])


# --- what a consumer outside the platform reads in them (issue 17, point 4) ---------------------------------------

SERVICES = ("identity", "habilitation", "declaration", "estimation", "notification")


def _checked_in(service: str) -> dict:
    return json.loads((ROOT / f"shared/src/afas_shared/contracts/asyncapi/{service}.json").read_text(encoding="utf-8"))


def _validate(doc: dict, schema: dict, instance) -> None:
    """``instance`` against ``schema``, whose references point into the document's components."""
    rooted = {**doc, **schema}  # "#/components/…" resolves against the document itself
    Draft202012Validator(rooted, format_checker=Draft202012Validator.FORMAT_CHECKER).validate(instance)


@pytest.mark.parametrize("service", SERVICES)
def test_every_message_has_an_example_that_its_schemas_accept(service):
    doc = _checked_in(service)
    for name, message in doc["components"]["messages"].items():
        assert message.get("examples"), f"{name} has no example"
        for example in message["examples"]:
            _validate(doc, message["payload"], example["payload"])
            if "headers" in example:
                _validate(doc, message["headers"], example["headers"])


def test_every_event_has_its_envelope_and_example_in_every_document_that_names_it():
    seen = set()
    for service in SERVICES:
        for name, message in _checked_in(service)["components"]["messages"].items():
            subject = name.split(":")[-2]
            if subject in registry.REGISTRY:
                seen.add(subject)
                assert message["payload"]["$ref"].endswith(f"Envelope%5B{registry.REGISTRY[subject].__name__}%5D")
                [example] = message["examples"]
                assert (
                    example["payload"]["type"] == subject
                    and example["headers"]["Nats-Msg-Id"] == example["payload"]["id"]
                )
                # a consumer's reading of the example, by the contract itself
                assert registry.parse(subject, json.dumps(example["payload"])).data is not None
    assert seen == set(registry.REGISTRY), "an event no document describes"


def test_every_verb_has_a_request_and_a_reply_schema_and_example():
    described = 0
    for service in SERVICES:
        doc = _checked_in(service)
        for channel, operation in doc["operations"].items():
            if ".rpc." not in channel:
                continue
            [reply] = operation["reply"]["messages"]
            reply_message = doc["components"]["messages"][reply["$ref"].rsplit("/", 1)[-1]]
            reply_schema = doc["components"]["schemas"][reply_message["payload"]["$ref"].rsplit("/", 1)[-1]]
            assert reply_schema.get("properties") or reply_schema.get("$ref") or reply_schema.get("anyOf"), channel
            request = doc["components"]["messages"][f"{channel}:SubscribeMessage"]
            assert request["examples"][0]["headers"] == {
                "X-Correlation-Id": request["examples"][0]["headers"]["X-Correlation-Id"]
            }
            described += 1
    assert described == len(RPC_CONTRACTS)


def test_headers_are_named_as_on_the_wire():
    for service in SERVICES:
        text = json.dumps(_checked_in(service))
        assert "$message.header#/correlation_id" not in text
        for message in _checked_in(service)["components"]["messages"].values():
            if "correlationId" in message:
                assert message["correlationId"]["location"] == f"$message.header#/{CORRELATION_HEADER}"
                assert CORRELATION_HEADER in message["headers"]["properties"]
    # the names the documents give are the ones the producers set
    assert CORRELATION_HEADER == "X-Correlation-Id" and CREDENTIAL_HEADER == "Afas-Credential"
    relay_source = (ROOT / "shared/src/afas_shared/messaging/relay.py").read_text(encoding="utf-8")
    assert 'headers["Nats-Msg-Id"] = row.event_id' in relay_source


def test_the_server_says_how_a_client_authenticates():
    for service in SERVICES:
        doc = _checked_in(service)
        [(name, server)] = doc["servers"].items()
        assert server["protocol"] == "nats" and server["host"] == "nats:4222"
        [scheme_ref] = server["security"]
        scheme = doc["components"]["securitySchemes"][scheme_ref["$ref"].rsplit("/", 1)[-1]]
        assert scheme["type"] == "userPassword" and "caf-consumer" in scheme["description"]
        assert all(c["servers"] == [{"$ref": f"#/servers/{name}"}] for c in doc["channels"].values())
