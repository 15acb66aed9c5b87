"""Correlation id and Prometheus metrics for every HTTP request.

The server span itself comes from FastAPI's native OpenTelemetry support (configured in the runtime).
"""

from __future__ import annotations

import time
import uuid

from opentelemetry import trace
from prometheus_client import Counter, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from afas_shared.auth.credential import credential
from afas_shared.messaging import context

REQUESTS = Counter("afas_http_requests_total", "HTTP requests", ["service", "method", "route", "status"])
LATENCY = Histogram("afas_http_request_seconds", "HTTP request duration", ["service", "route"])
# 401 and 403 apart, for the security dashboard: who is turned away where (route templates, never raw paths)
REFUSALS = Counter("afas_http_refusals_total", "HTTP answers 401 and 403", ["service", "route", "status"])

UNTRACED = {"/healthz", "/readyz", "/metrics"}


class RequestContextMiddleware:
    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNTRACED:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        corr = headers.get(context.CORRELATION_HEADER.lower()) or str(uuid.uuid4())
        token = context.correlation_id.set(corr[:100])
        # Each request starts with no credential: only what this request proved is passed on to other services.
        credential_scope = credential.set(None)
        status = {"code": 500}

        async def send_with_ids(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                message.setdefault("headers", [])
                message["headers"].append((context.CORRELATION_HEADER.encode(), corr[:100].encode()))
            await send(message)

        start = time.perf_counter()
        trace.get_current_span().set_attribute("afas.correlation_id", corr[:100])
        try:
            await self.app(scope, receive, send_with_ids)
        finally:
            route_path = getattr(scope.get("route"), "path", "unmatched")
            REQUESTS.labels(self.service, scope["method"], route_path, str(status["code"])).inc()
            LATENCY.labels(self.service, route_path).observe(time.perf_counter() - start)
            if status["code"] in (401, 403):
                REFUSALS.labels(self.service, route_path, str(status["code"])).inc()
            context.correlation_id.reset(token)
            credential.reset(credential_scope)
