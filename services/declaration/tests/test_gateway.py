"""The gateway: platform status over request/reply, operator endpoints, AsyncAPI documents."""

from __future__ import annotations

import time
from contextlib import AsyncExitStack

import httpx
import pytest

from afas_shared.settings import LOCAL_ONLY_SECRET
from afas_shared.testing.fixtures import eventually, running

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
        _, client = await _platform(stack, make_settings)
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
        page = await client.get("/")
    assert response.status_code == 503
    assert response.json()["unavailable"] == ["estimation"]
    assert "estimation" in response.json()["detail"]
    assert elapsed < 3.0
    assert page.status_code == 503 and "Service(s) indisponible(s) : estimation" in page.text


async def test_operator_endpoints_require_the_token(make_settings):
    async with AsyncExitStack() as stack:
        _, client = await _platform(stack, make_settings, ["declaration"])
        anonymous = await client.post("/api/v1/admin/users", json={})
        wrong = await client.get("/api/v1/admin/users", headers={"Authorization": "Bearer not-the-token-at-all"})
    assert anonymous.status_code == 401 and anonymous.json()["detail"] == "Authentification requise."
    assert wrong.status_code == 401


async def test_operator_creates_a_user_and_the_gateway_learns_it_from_the_event(make_settings):
    async with AsyncExitStack() as stack:
        _, client = await _platform(stack, make_settings, ["identity", "declaration"])
        user = {"last_name": "Fournier", "first_name": "Hugo", "email": "hugo.fournier@alsh-soleil.fr"}
        created = await client.post("/api/v1/admin/users", json=user, headers=OPERATOR)
        again = await client.post("/api/v1/admin/users", json=user, headers=OPERATOR)
        invalid = await client.post("/api/v1/admin/users", json={**user, "email": "pas-une-adresse"}, headers=OPERATOR)

        async def known() -> list:
            return (await client.get("/api/v1/admin/users", headers=OPERATOR)).json()

        users = await eventually(known, timeout=10)
    assert created.status_code == 201
    assert again.status_code == 409 and "déjà utilisée" in again.json()["detail"]
    assert invalid.status_code == 422
    assert [u["identifier"] for u in users] == [created.json()["identifier"]]


async def test_identity_down_gives_503_naming_it(make_settings):
    async with AsyncExitStack() as stack:
        _, client = await _platform(stack, make_settings, ["declaration"])
        response = await client.post(
            "/api/v1/admin/users",
            headers=OPERATOR,
            json={"last_name": "Blanc", "first_name": "Zoé", "email": "zoe.blanc@mairie-rouen.fr"},
        )
    assert response.status_code == 503
    assert "identity" in response.json()["detail"]


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
