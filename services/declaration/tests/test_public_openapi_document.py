"""The public OpenAPI document tells a client what each ``/api/v1`` route answers, refuses and requires.

Every operation has a success with a schema (a JSON model with an example, or the media type of the file it
answers), lists the refusals it can return with their model, and says how to authenticate (or that it needs no
session); the document declares the security schemes and keeps the ``Idempotency-Key`` header.
"""

from __future__ import annotations

from typing import Any

import pytest

from afas_shared.testing.fixtures import running

# Routes that need no session: logging in, the links received by mail, public keys, the platform's status and its
# events' documents, and the secret calendar link (the token in its URL is the credential)
PUBLIC = {
    ("post", "/api/v1/auth/login"),
    ("post", "/api/v1/auth/activation"),
    ("post", "/api/v1/auth/password-reset"),
    ("post", "/api/v1/auth/password-reset/confirm"),
    ("get", "/api/v1/auth/jwks"),
    ("get", "/api/v1/status"),
    ("get", "/api/v1/events/asyncapi/{service}"),
    ("get", "/api/v1/calendrier/{token}.ics"),
}
OPERATOR_ONLY = {("post", "/api/v1/admin/demo")}  # the operator's token, no session: 401 but never 403
METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
async def schema(make_settings) -> dict[str, Any]:
    async with running(make_settings("declaration")) as gateway:
        return gateway.create_app().openapi()


def _operations(schema: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, operation)
        for path, operations in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method, operation in operations.items()
        if method in METHODS
    ]


def _resolved(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _success_is_described(schema: dict[str, Any], operation: dict[str, Any]) -> bool:
    successes = {status: r for status, r in operation["responses"].items() if status.startswith("2")}
    if list(successes) == ["204"]:
        return True  # nothing to answer (the logout)
    for response in successes.values():
        for media_type, content in response.get("content", {}).items():
            body = _resolved(schema, content.get("schema", {}))
            if media_type != "application/json":
                return body.get("format") == "binary"  # a file: its media type says what it is
            if body.get("type") == "array":
                body = _resolved(schema, body.get("items", {}))
            alternatives = [_resolved(schema, b) for b in body.get("anyOf", [body])]
            if all(b.get("properties") and b.get("examples") for b in alternatives):
                return True
    return False


async def test_the_document_covers_every_public_route(schema):
    operations = _operations(schema)
    assert len(operations) >= 90  # every route of the public API is in the document


async def test_every_route_documents_its_success_with_a_model_and_an_example(schema):
    undescribed = [f"{m.upper()} {p}" for m, p, op in _operations(schema) if not _success_is_described(schema, op)]
    assert undescribed == []


async def test_every_route_lists_its_refusals_with_their_model(schema):
    missing = []
    for method, path, operation in _operations(schema):
        refusals = {status: r for status, r in operation["responses"].items() if status.startswith("4")}
        needs = {"429"} | ({"401", "403"} if (method, path) not in PUBLIC | OPERATOR_ONLY else set())
        needs |= {"401"} if (method, path) in OPERATOR_ONLY else set()
        needs |= {"422"} if "{" in path or operation.get("requestBody") else set()
        if not needs <= set(refusals):
            missing.append(f"{method.upper()} {path}: {sorted(needs - set(refusals))}")
        for status, response in refusals.items():
            body = response.get("content", {}).get("application/json", {}).get("schema", {})
            if not _resolved(schema, body).get("properties", {}).get("detail"):
                missing.append(f"{method.upper()} {path}: {status} without its model")
    assert missing == []


async def test_the_document_declares_how_to_authenticate(schema):
    schemes = schema["components"]["securitySchemes"]
    assert schemes["session"].items() >= {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}.items()
    assert schemes["operator"].items() >= {"type": "http", "scheme": "bearer"}.items()
    assert schemes["sessionCookie"].items() >= {"type": "apiKey", "in": "cookie", "name": "afas_session"}.items()
    assert schemes["csrf"].items() >= {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"}.items()
    unsecured = [
        f"{m.upper()} {p}" for m, p, op in _operations(schema) if (m, p) not in PUBLIC and not op.get("security")
    ]
    assert unsecured == []
    assert not [f"{m} {p}" for m, p, op in _operations(schema) if (m, p) in PUBLIC and op.get("security")]


async def test_a_page_cookie_writes_only_with_its_csrf_token(schema):
    read = schema["paths"]["/api/v1/declarations"]["get"]["security"]
    write = schema["paths"]["/api/v1/forms/{form_id}"]["put"]["security"]
    assert {"sessionCookie": []} in read and {"session": []} in read and {"operator": []} in read
    assert {"sessionCookie": [], "csrf": []} in write and {"sessionCookie": []} not in write
    assert schema["paths"]["/api/v1/admin/demo"]["post"]["security"] == [{"operator": []}]


async def test_the_idempotency_key_header_is_still_documented(schema):
    transmit = schema["paths"]["/api/v1/declarations/{declaration_id}/transmit"]["post"]
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in transmit["parameters"])
    assert "409" in transmit["responses"]
