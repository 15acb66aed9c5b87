"""A service answering RPCs verifies a caller's session token once and remembers it (issue 16: the gateway forwards
the same token with every call of a user's session), while a revoked session is refused at its very next call."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from afas_shared.messaging.rpc import RemoteError
from afas_shared.testing.credentials import TestIssuer
from afas_shared.testing.fixtures import running

AGENT = {"kind": "caf", "sub": str(uuid.uuid4()), "sid": str(uuid.uuid4()), "caf_code": "092", "caf_roles": ["lecture"]}


async def test_a_callers_token_is_verified_once_and_a_revoked_session_is_refused_at_its_next_call(make_settings):
    async with running(make_settings("estimation")) as estimation:
        issuer = TestIssuer(estimation.clock.now()).trusted_by(estimation)
        token = issuer.token(AGENT, estimation.clock.now())
        verified: list[str] = []
        verify = estimation.tokens.verify

        async def counting(presented: str):
            verified.append(presented)
            return await verify(presented)

        estimation.tokens.verify = counting  # the signature check itself, under the memory
        for _ in range(3):
            reply = await estimation.request("estimation", "parameters", {"famille": "eaje_psu"}, credential=token)
            assert reply["result"]["famille"] == "eaje_psu"
        assert verified == [token]

        estimation.revocations.revoke(uuid.UUID(AGENT["sid"]), estimation.clock.now() + timedelta(hours=1))
        with pytest.raises(RemoteError) as refused:
            await estimation.request("estimation", "parameters", {"famille": "eaje_psu"}, credential=token)
        assert refused.value.error == "unauthorized"
