"""Readiness means ready: a service holds identity's keys before it says so, and never turns a valid session
away with 401 because identity was down when it started (issue 15, point 4)."""

from __future__ import annotations

from contextlib import AsyncExitStack

import httpx
import pytest

from afas_shared.messaging.rpc import RemoteError
from afas_shared.testing.credentials import operator_credential
from afas_shared.testing.fixtures import eventually, running


async def test_gateway_started_while_identity_is_down_answers_503_then_200_once_identity_is_back(make_settings):
    identity_settings = make_settings("identity")
    async with running(identity_settings) as identity:
        token = await operator_credential(identity)  # a valid token, signed by identity's key
    # identity is down now; its database (and so its keys) stays

    async with AsyncExitStack() as stack:
        gateway = await stack.enter_async_context(running(make_settings("declaration")))
        client = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway.create_app()), base_url="http://gateway")
        )
        session = {"Authorization": f"Bearer {token}"}

        not_ready = await client.get("/readyz")
        assert not_ready.status_code == 503
        assert not_ready.json() == {"ready": False, "checks": {"database": True, "broker": True, "keys": False}}
        assert (await gateway.status())["ready"] is False

        refused = await client.get("/api/v1/campaigns", headers=session)
        assert refused.status_code == 503, refused.text  # never 401: the session is valid
        assert "momentanément indisponible" in refused.json()["detail"]
        assert (await client.get("/api/v1/campaigns", headers={"Authorization": "Bearer x.y.z"})).status_code == 401
        page = await client.get("/declarations", headers={"Cookie": f"afas_session={token}"})
        assert page.status_code == 503 and "momentanément indisponible" in page.text  # not sent to the login page

        # A service answering a request whose credential it cannot check says "unavailable", not "unauthorized".
        with pytest.raises(RemoteError) as caught:
            await gateway.request("declaration", "status", {}, credential=token)
        assert caught.value.error == "unavailable"

        await stack.enter_async_context(running(identity_settings))  # identity comes back: no gateway restart

        async def ready() -> bool:
            return (await client.get("/readyz")).status_code == 200

        await eventually(ready, timeout=15)
        assert (await gateway.status())["checks"] == {"database": True, "broker": True, "keys": True}
        answered = await client.get("/api/v1/campaigns", headers=session)
        assert answered.status_code == 200, answered.text
