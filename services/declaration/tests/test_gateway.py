"""The gateway: platform status over request/reply, operator endpoints, AsyncAPI documents."""

from __future__ import annotations

import time
from contextlib import AsyncExitStack

import httpx
import pytest

from afas_shared.settings import LOCAL_ONLY_SECRET
from afas_shared.testing.fixtures import running

ALL = ("identity", "habilitation", "declaration", "estimation", "notification")
OPERATOR = {"Authorization": f"Bearer {LOCAL_ONLY_SECRET}"}


async def _platform(stack: AsyncExitStack, make_settings, services=ALL):
    runtimes = {s: await stack.enter_async_context(running(make_settings(s))) for s in services}
    app = runtimes["declaration"].create_app()
    client = await stack.enter_async_context(
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")
    )
    return runtimes, client


async def test_status_lists_the_five_services_ready(make_settings, backends):
    async with AsyncExitStack() as stack:
        runtimes, client = await _platform(stack, make_settings)
        for runtime in runtimes.values():  # ready once each holds identity's keys, fetched after bring-up
            await runtime.wait_for_keys(15)
        response = await client.get("/api/v1/status")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert sorted(s["name"] for s in body["services"]) == sorted(ALL)
    backend = "sqlite" if backends.pg_admin_url is None else "postgresql"
    assert all(s["ready"] and s["database"] == backend and s["version"] for s in body["services"])


async def test_status_names_the_missing_service_with_503_and_does_not_hang(make_settings):
    async with AsyncExitStack() as stack:
        _, client = await _platform(stack, make_settings, [s for s in ALL if s != "estimation"])
        started = time.monotonic()
        response = await client.get("/api/v1/status")
        elapsed = time.monotonic() - started
        page = await client.get("/etat")
    assert response.status_code == 503
    assert response.json()["unavailable"] == ["estimation"]
    assert "estimation" in response.json()["detail"]
    assert elapsed < 3.0
    assert page.status_code == 503 and "Service indisponible : estimation" in page.text


async def test_operator_endpoints_require_the_token(make_settings):
    async with AsyncExitStack() as stack:
        _, client = await _platform(stack, make_settings, ["declaration"])
        anonymous = await client.post("/api/v1/admin/demo")
        wrong = await client.post("/api/v1/admin/demo", headers={"Authorization": "Bearer not-the-token-at-all"})
    assert anonymous.status_code == 401 and anonymous.json()["detail"] == "Authentification requise."
    assert wrong.status_code == 401


async def test_identity_down_gives_503_naming_it(make_settings):
    async with AsyncExitStack() as stack:
        _, client = await _platform(stack, make_settings, ["declaration"])
        response = await client.post("/api/v1/auth/login", json={"identifiant": "100000001", "mot_de_passe": "x"})
    assert response.status_code == 503
    assert "identité" in response.json()["detail"]


@pytest.mark.parametrize("service", ALL)
async def test_asyncapi_document_of_each_service_is_served(make_settings, service):
    async with AsyncExitStack() as stack:
        _, client = await _platform(stack, make_settings, ["declaration"])
        response = await client.get(f"/api/v1/events/asyncapi/{service}")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == f"AFAS {service}"


async def test_unknown_asyncapi_document_is_404_in_french(make_settings):
    async with AsyncExitStack() as stack:
        _, client = await _platform(stack, make_settings, ["declaration"])
        response = await client.get("/api/v1/events/asyncapi/comptabilite")
    assert response.status_code == 404 and "Service inconnu" in response.json()["detail"]
