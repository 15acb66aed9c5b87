"""The operator's command ``afas-rotate-signing-key`` (``make rotate-signing-key``), run for real against the five
services on a nats-server configured as in production, the way ``make run`` lays it out (``--local`` reads the
broker's address and the gateway's password from its auth directory).

After it, identity signs new tokens (users' and the operator's) with the new key, and they verify in every service;
tokens signed before it still verify, everywhere, until they expire: nobody is logged out. A wrong operator secret
rotates nothing.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys

import jwt

from afas_shared.auth.credential import CREDENTIAL_HEADER
from afas_shared.contracts.bus_permissions import GATEWAY
from afas_shared.settings import LOCAL_ONLY_SECRET
from afas_shared.testing.credentials import operator_credential
from afas_shared.testing.secured_nats import SecuredPlatform
from tests.integration.conftest import DEMO_PASSWORD, OPERATOR

AGENT = "100000001"  # a Caf agent of the demo


async def run_command(platform: SecuredPlatform, admin_token: str = LOCAL_ONLY_SECRET) -> tuple[int, str, str]:
    """``afas-rotate-signing-key --local <auth dir>`` in its own process, as ``make rotate-signing-key`` runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AFAS_")}
    env |= {
        "AFAS_ENV": "local",
        "AFAS_DECLARATION_ADMIN_TOKEN": admin_token,
        "AFAS_DECLARATION_RPC_TIMEOUT_SECONDS": str(platform.gateway.settings.rpc_timeout_seconds),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "afas_shared.auth.rotate_signing_key",
        "--local",
        str(platform.nats.auth.config_file.parent),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    return process.returncode, out.decode(), err.decode()


def kid(token: str) -> str:
    return jwt.get_unverified_header(token)["kid"]


async def login(platform: SecuredPlatform, identifier: str) -> str:
    answer = await platform.client.post(
        "/api/v1/auth/login", json={"identifiant": identifier, "mot_de_passe": DEMO_PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["jeton"]


async def operator_token(platform: SecuredPlatform) -> str:
    return await operator_credential(platform.gateway)  # as the gateway obtains it (its credential alone may)


async def published_kids(platform: SecuredPlatform) -> set[str]:
    return {k["kid"] for k in (await platform.client.get("/api/v1/auth/jwks")).json()["keys"]}


async def test_the_operator_command_rotates_the_signing_key_and_older_tokens_still_verify(
    secured_platform, report_measurement
):
    async with secured_platform() as platform, platform.nats.client(GATEWAY) as gateway:
        seeded = await platform.client.post("/api/v1/admin/demo", headers=OPERATOR)
        assert seeded.status_code == 200, seeded.text
        user_before, operator_before = await login(platform, AGENT), await operator_token(platform)
        old_kid = kid(user_before)
        assert kid(operator_before) == old_kid and await published_kids(platform) == {old_kid}

        # a wrong operator secret: refused by identity, nothing rotated
        code, out, err = await run_command(platform, admin_token="not-the-operator-secret")
        assert code == 1 and "refused by identity: identity: unauthorized" in err, (code, out, err)
        assert await published_kids(platform) == {old_kid}

        started = asyncio.get_running_loop().time()
        code, out, err = await run_command(platform)
        report_measurement(f"afas-rotate-signing-key ran in {asyncio.get_running_loop().time() - started:.1f}s")
        assert code == 0, (out, err)
        new_kid = re.search(r"signs new tokens with key (\S+)", out).group(1)
        assert new_kid != old_kid and await published_kids(platform) == {old_kid, new_kid}, out
        assert f"tokens signed by {old_kid} keep verifying" in out

        # new tokens are signed by the new key ...
        user_after, operator_after = await login(platform, AGENT), await operator_token(platform)
        assert kid(user_after) == kid(operator_after) == new_kid
        # ... and every token, older or newer, verifies in every service (each fetches the new key by itself)
        for service, runtime in platform.runtimes.items():
            for token in (user_before, operator_before, user_after, operator_after):
                claims = await runtime.tokens.verify(token)
                assert claims.sub, (service, kid(token))
        # at the gateway's door, and across the bus with the gateway's credential
        for token in (user_before, user_after):
            session = await platform.client.get("/api/v1/auth/session", headers={"Authorization": f"Bearer {token}"})
            assert session.status_code == 200, session.text
        for token in (operator_before, operator_after):
            reply = await gateway.nc.request(
                platform.runtimes["habilitation"].bus.names.rpc("habilitation", "search_activities"),
                b"{}",
                timeout=10,
                headers={CREDENTIAL_HEADER: token},
            )
            assert "error" not in json.loads(reply.data), reply.data
