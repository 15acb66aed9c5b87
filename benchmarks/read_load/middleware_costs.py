"""What each of the gateway's middlewares costs per request, measured in process (no network, no server).

A FastAPI app with one route answering a small JSON is called straight through ASGI, first bare, then with the
gateway's middlewares added one at a time in the order ``afas_declaration.gateway.install`` and the runtime stack
them (the outermost last): the difference of the mean time per request is the middleware's cost. The app's own
OpenTelemetry instrumentation (FastAPI's native telemetry, as the runtime configures it) is measured the same way.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from fastapi import FastAPI
from opentelemetry.sdk.trace import TracerProvider
from starlette.types import Message

from afas_declaration.gateway.hardening.rate_limit import RateLimit, RateLimitMiddleware
from afas_declaration.gateway.hardening.security_headers import SecurityHeadersMiddleware
from afas_declaration.gateway.session.one_access import OneAccessPerRequest
from afas_shared.http.middleware import RequestContextMiddleware

TOKEN = b"Bearer eyJhbGciOiJFZERTQSIsImtpZCI6ImsiLCJ0eXAiOiJKV1QifQ.e30.c2lnbmF0dXJl"
SCOPE: dict[str, Any] = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "GET",
    "scheme": "http",
    "path": "/api/v1/declarations",
    "raw_path": b"/api/v1/declarations",
    "query_string": b"",
    "root_path": "",
    "headers": [(b"host", b"127.0.0.1"), (b"authorization", TOKEN), (b"connection", b"keep-alive")],
    "client": ("127.0.0.1", 50000),
    "server": ("127.0.0.1", 8000),
}
# (name, how to add it): in the order the gateway's app stacks them, innermost first
MIDDLEWARES: list[tuple[str, Any, dict[str, Any]]] = [
    ("RequestContextMiddleware (corrélation, métriques)", RequestContextMiddleware, {"service": "declaration"}),
    ("OneAccessPerRequest", OneAccessPerRequest, {}),
    (
        "RateLimitMiddleware",
        RateLimitMiddleware,
        {"default": RateLimit(100000, 100000), "strict": RateLimit.per_minute(1000, 1000), "session_cookie": "s"},
    ),
    ("SecurityHeadersMiddleware", SecurityHeadersMiddleware, {}),
]


def _app(telemetry: bool, middlewares: list[tuple[str, Any, dict[str, Any]]]) -> FastAPI:
    # as the runtime configures it (afas_shared.runtime: no per-operation spans, Prometheus for metrics)
    options: Any = {
        "tracer_provider": TracerProvider(),
        "operation_spans": False,
        "logs": False,
        "metrics": False,
    }
    app = FastAPI(telemetry=options if telemetry else {"tracing": False, "logs": False, "metrics": False})

    @app.get("/api/v1/declarations")
    async def answer() -> dict[str, str]:
        return {"bonjour": "le monde"}

    for _, middleware, kwargs in middlewares:
        app.add_middleware(middleware, **kwargs)
    return app


async def _per_request_us(app: FastAPI, calls: int) -> float:
    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(_message: Message) -> None:
        return None

    for _ in range(20):  # warm: routes compiled, caches filled
        await app(dict(SCOPE), receive, send)
    started = time.perf_counter()
    for _ in range(calls):
        await app(dict(SCOPE), receive, send)
    return (time.perf_counter() - started) / calls * 1e6


def measure(calls: int = 300, rounds: int = 7) -> list[tuple[str, float]]:
    """(what was added, its cost in µs per request); the first line is the bare app's own time.

    Every stack is timed ``rounds`` times, the stacks taking turns (a busy moment of a shared box then spreads over
    all of them instead of landing on one), and each keeps its least disturbed time."""
    stacks = [_app(False, []), _app(True, [])] + [_app(True, MIDDLEWARES[: i + 1]) for i in range(len(MIDDLEWARES))]

    async def timed_in_turns() -> list[float]:
        best = [float("inf")] * len(stacks)
        for _ in range(rounds):
            for index, app in enumerate(stacks):
                best[index] = min(best[index], await _per_request_us(app, calls))
        return best

    best = asyncio.run(timed_in_turns())
    names = ["FastAPI nu, une route (temps propre)", "Télémétrie native de FastAPI (OpenTelemetry)"]
    names += [name for name, _, _ in MIDDLEWARES]
    return [(names[0], best[0])] + [(names[i], best[i] - best[i - 1]) for i in range(1, len(stacks))]


if __name__ == "__main__":
    for name, micros in measure():
        print(f"{name:<52} {micros:8.1f} µs")
