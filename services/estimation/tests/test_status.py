"""Estimation answers the status request with its name, version, database backend and readiness."""

from __future__ import annotations

from afas_shared.testing.credentials import TestIssuer
from afas_shared.testing.fixtures import running


async def test_status_over_request_reply(make_settings, backends):
    async with running(make_settings("estimation")) as estimation:
        alone = await estimation.request("estimation", "status")
        # Without identity it cannot check a session token: honestly not ready until it holds keys.
        TestIssuer(estimation.clock.now()).trusted_by(estimation)
        await estimation.wait_for_keys(10)
        status = await estimation.request("estimation", "status")
    assert alone["ready"] is False
    assert alone["checks"] == {"database": True, "broker": True, "keys": False}
    assert status["name"] == "estimation"
    assert status["ready"] is True
    assert status["database"] == ("sqlite" if backends.pg_admin_url is None else "postgresql")
