"""Estimation answers the status request with its name, version and database backend."""

from __future__ import annotations

from afas_shared.testing.fixtures import running


async def test_status_over_request_reply(make_settings, backends):
    async with running(make_settings("estimation")) as estimation:
        status = await estimation.request("estimation", "status")
    assert status["name"] == "estimation"
    assert status["ready"] is True
    assert status["database"] == ("sqlite" if backends.pg_admin_url is None else "postgresql")
