"""Login failures and lockouts are counted where they happen, by reason and scope, never by identifier."""

from __future__ import annotations

from datetime import timedelta

import pytest
from prometheus_client import REGISTRY

from afas_identity.application import sessions
from afas_identity.domain import throttling
from afas_shared.clock import ManualClock
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.testing.fixtures import running


def counted(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_failures_then_a_lockout_then_an_attempt_while_locked(make_settings):
    clock = ManualClock()
    # cheap argon2 parameters: the test spends its time on behaviour (unknown identifiers cost a real check too)
    settings = make_settings("identity", password_memory_kib=8 * 1024, password_time_cost=2, password_parallelism=1)
    before = {
        "wrong": counted("afas_login_failures_total", reason="wrong_credentials"),
        "locked": counted("afas_login_failures_total", reason="locked"),
        "account": counted("afas_login_lockouts_total", scope="account"),
        "pair": counted("afas_login_lockouts_total", scope="pair"),
    }
    async with running(settings) as identity:
        identity.clock = clock
        for _ in range(throttling.MAX_FAILURES):
            with pytest.raises(RpcFailure) as refused:
                await sessions.login(identity, "123456789", "pas le bon", "192.0.2.10")
            assert refused.value.code == "unauthorized"
            clock.advance(throttling.SLOWDOWN_DELAY + timedelta(seconds=1))
        with pytest.raises(RpcFailure) as locked:
            await sessions.login(identity, "123456789", "pas le bon", "192.0.2.10")
        assert locked.value.code == "locked"
    assert counted("afas_login_failures_total", reason="wrong_credentials") == before["wrong"] + throttling.MAX_FAILURES
    assert counted("afas_login_failures_total", reason="locked") == before["locked"] + 1
    # the fifth failure locked the identifier and the (identifier, address) pair, once each; the address keeps going
    assert counted("afas_login_lockouts_total", scope="account") == before["account"] + 1
    assert counted("afas_login_lockouts_total", scope="pair") == before["pair"] + 1
