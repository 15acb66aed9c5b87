"""The checked-in AsyncAPI documents are what the services generate (FastStream) today."""

from __future__ import annotations

import importlib.util
from pathlib import Path

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
