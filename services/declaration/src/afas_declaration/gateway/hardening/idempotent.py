"""Idempotency-Key on every create and on transmit: a client that retries (timeout, lost answer) gets the first
answer again instead of a second effect.

A pure-ASGI middleware on the gateway's ``POST /api/v1/…`` routes (logins excepted: they create nothing a retry
could duplicate). The key is scoped to the user the session token names — not to the token, which the sliding
session renews — and the request's fingerprint (path + body) must match. Only successful answers are kept: a
refused or failed call leaves the key free for a retry; a call that never finished (the gateway died) holds its
key for a lease only (``AFAS_DECLARATION_IDEMPOTENCY_LEASE_SECONDS``), then a retry runs (see
``application.idempotency``). ``document_header`` describes the header in the OpenAPI of every such route.
"""

from __future__ import annotations

import json
from typing import Any

from afas_declaration.gateway.hardening import idempotency_store as idempotency
from afas_declaration.gateway.session.caller import SESSION_HEADER
from afas_shared.auth.tokens import InvalidToken
from afas_shared.messaging.context import CORRELATION_HEADER
from afas_shared.messaging.rpc import ServiceUnavailable
from afas_shared.runtime import ServiceRuntime

HEADER = "idempotency-key"
EXCLUDED_PREFIXES = ("/api/v1/auth/",)


def document_header(schema: dict[str, Any], lease_seconds: float) -> None:
    """Declare the optional ``Idempotency-Key`` header on every operation the middleware guards."""
    parameter = {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "schema": {"type": "string", "minLength": 1, "maxLength": idempotency.MAX_KEY_LENGTH},
        "description": (
            "Clé choisie par le client (UUID conseillé) pour renvoyer sans risque une demande (délai dépassé, "
            "réponse perdue) : une demande réussie n'est exécutée qu'une fois, sa réponse est rejouée pendant 24 h "
            "pour la même clé et le même corps (409 si la clé a servi pour un autre corps). Un échec ou un refus "
            "libère la clé. Tant "
            "que la première demande est en cours, une nouvelle tentative reçoit 409 « en cours : patientez » ; une "
            f"demande interrompue (panne) libère sa clé après {lease_seconds:g} s, puis une nouvelle tentative "
            "s'exécute."
        ),
    }
    for path, operations in schema.get("paths", {}).items():
        operation = operations.get("post")
        if operation is None or not path.startswith("/api/v1/") or path.startswith(EXCLUDED_PREFIXES):
            continue
        parameters = operation.setdefault("parameters", [])
        if not any(p.get("in") == "header" and p.get("name", "").lower() == HEADER for p in parameters):
            parameters.append(parameter)


class _NotKept(Exception):
    """The answer was not a success: sent as is, and the key released."""

    def __init__(self, status: int, headers: list, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body


class IdempotencyMiddleware:
    def __init__(self, app, runtime: ServiceRuntime, admin_token: str) -> None:
        self.app, self.runtime, self.admin_token = app, runtime, admin_token

    async def __call__(self, scope, receive, send) -> None:
        if not self._applies(scope):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        owner = await self._owner(headers)
        if owner is None:  # no valid session: the route answers 401 itself
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        fingerprint = idempotency.fingerprint(scope["path"], body.decode("utf-8", "replace"))

        async def action() -> tuple[int, Any]:
            status, response_headers, content = await self._call(scope, body)
            if not 200 <= status < 300:
                raise _NotKept(status, response_headers, content)
            return status, {"content": _canonical(content.decode("utf-8")), "headers": _kept_headers(response_headers)}

        try:
            status, stored = await idempotency.once(
                self.runtime, owner, headers[HEADER], fingerprint, action, kept_as=_as_response
            )
        except _NotKept as answer:
            await _send(send, answer.status, answer.headers, answer.body)
            return
        except idempotency.IdempotencyConflict as conflict:
            detail = json.dumps({"detail": conflict.message}, ensure_ascii=False).encode()
            await _send(send, 409, [(b"content-type", b"application/json")], detail)
            return
        raw_headers = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in stored["headers"]]
        await _send(send, status, raw_headers, stored["content"].encode("utf-8"))

    def _applies(self, scope) -> bool:
        return (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"].startswith("/api/v1/")
            and not scope["path"].startswith(EXCLUDED_PREFIXES)
            and any(k.lower() == HEADER.encode() for k, _ in scope["headers"])
        )

    async def _owner(self, headers: dict[str, str]) -> str | None:
        authorization = headers.get("authorization", "")
        token = authorization.removeprefix("Bearer ").strip() if authorization.startswith("Bearer ") else ""
        if not token:
            return None
        if token == self.admin_token:
            return "operator"
        try:
            return str((await self.runtime.verified_sessions.verify(token)).sub)  # the route verifies it again
        except (InvalidToken, ServiceUnavailable):
            return None

    async def _call(self, scope, body: bytes) -> tuple[int, list, bytes]:
        sent = False

        async def replay_receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                return {"type": "http.disconnect"}
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        status, response_headers, chunks = 500, [], []

        async def capture(message) -> None:
            nonlocal status, response_headers
            if message["type"] == "http.response.start":
                status, response_headers = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, replay_receive, capture)
        return status, response_headers, b"".join(chunks)


def _kept_headers(headers: list) -> list[tuple[str, str]]:
    # A replay must not hand out a session token minted for the first call, nor a stale length, nor the first
    # call's correlation id (a replay is another request; the answer the use case kept has none either)
    dropped = {b"content-length", SESSION_HEADER.lower().encode(), b"set-cookie", CORRELATION_HEADER.lower().encode()}
    return [(k.decode("latin-1"), v.decode("latin-1")) for k, v in headers if k.lower() not in dropped]


def _canonical(content: str) -> str:
    """A JSON answer in one spelling (keys sorted, no spaces), whoever wrote it: the route's answer and the one the
    use case kept with its effect compare equal when they say the same, and the second write is spared."""
    try:
        return json.dumps(json.loads(content), ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    except ValueError:
        return content  # not JSON: kept as sent


def _as_response(status: int, answer: Any) -> dict[str, Any]:
    """A use case's answer kept in its own transaction (``request_outcome``), as the route's JSON response is kept."""
    content = json.dumps(answer, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)
    return {"content": content, "headers": [("content-type", "application/json")]}


async def _read_body(receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def _send(send, status: int, headers: list, body: bytes) -> None:
    headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    headers.append((b"content-length", str(len(body)).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
