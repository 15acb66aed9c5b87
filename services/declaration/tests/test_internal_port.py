"""The gateway's public app does not serve ``/internal/*`` nor ``/metrics``: the internal app (its own port) does."""

from __future__ import annotations

from contextlib import AsyncExitStack

import httpx

from afas_shared.settings import LOCAL_ONLY_SECRET
from afas_shared.testing.credentials import TestIssuer
from afas_shared.testing.fixtures import running

OPERATOR = {"Authorization": f"Bearer {LOCAL_ONLY_SECRET}"}


async def _clients(stack: AsyncExitStack, make_settings) -> tuple[httpx.AsyncClient, httpx.AsyncClient]:
    gateway = await stack.enter_async_context(running(make_settings("declaration")))
    TestIssuer(gateway.clock.now()).trusted_by(gateway)  # in place of identity's keys: ready without identity
    await gateway.wait_for_keys(10)
    clients = [
        await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")
        )
        for app in (gateway.create_app(), gateway.create_internal_app())
    ]
    return clients[0], clients[1]


async def test_public_gateway_answers_404_for_internal_routes_and_metrics(make_settings):
    async with AsyncExitStack() as stack:
        public, internal = await _clients(stack, make_settings)
        users = await public.get("/internal/v1/users")
        with_token = await public.get("/internal/v1/users", headers=OPERATOR)
        metrics = await public.get("/metrics")
        schema = (await public.get("/openapi.json")).json()
        health = await public.get("/healthz")
        ready = await public.get("/readyz")
    assert users.status_code == 404 and with_token.status_code == 404 and metrics.status_code == 404
    assert "identifier" not in users.text and "afas_http_requests_total" not in metrics.text
    assert not [path for path in schema["paths"] if path.startswith("/internal") or path == "/metrics"]
    assert health.status_code == 200 and ready.status_code == 200  # probes and load balancers still see them


async def test_internal_app_serves_the_directory_metrics_and_health(make_settings):
    async with AsyncExitStack() as stack:
        public, internal = await _clients(stack, make_settings)
        await public.get("/api/v1/status")  # counted in the metrics
        users = await internal.get("/internal/v1/users")
        metrics = await internal.get("/metrics")
        health = await internal.get("/healthz")
        ready = await internal.get("/readyz")
        gateway_routes = await internal.get("/api/v1/status")
    assert users.status_code == 200 and isinstance(users.json(), list)
    assert metrics.status_code == 200 and "afas_http_requests_total" in metrics.text
    assert health.status_code == 200 and ready.status_code == 200
    assert gateway_routes.status_code == 404  # the public API is not served on the internal port
