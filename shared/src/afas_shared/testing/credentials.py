"""Credentials for tests that call a service over the bus as a given user or as the operator.

Services believe only signed credentials. With identity running, ``operator_credential`` gets the
operator's token the way the gateway does. A test of one service without identity uses a
``TestIssuer``: a signing key of the test's own that the service under test is told to trust (in
place of identity's published keys), so its verification runs for real on every request.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from afas_shared.auth.keys import generate_signing_key, jwks
from afas_shared.auth.tokens import SessionClaims, issue_token
from afas_shared.runtime import ServiceRuntime
from afas_shared.settings import LOCAL_ONLY_SECRET


async def operator_credential(runtime: ServiceRuntime, secret: str = LOCAL_ONLY_SECRET) -> str:
    """The operator's token, signed by the running identity service (any runtime may ask)."""
    return (await runtime.request("identity", "operator_session", {"token": secret}))["result"]["jeton"]


class TestIssuer:
    """Signs session tokens for whatever actor a test describes, and is trusted by the runtimes it serves."""

    __test__ = False  # not a pytest test class

    def __init__(self, now: datetime) -> None:
        self.key = generate_signing_key(now - timedelta(days=1))

    async def jwks(self) -> dict[str, Any]:
        return jwks([self.key])

    def trusted_by(self, runtime: ServiceRuntime) -> TestIssuer:
        runtime.jwks_source = self.jwks
        return self

    def token(self, actor: dict[str, Any] | None, now: datetime, minutes: int = 30) -> str | None:
        """A token asserting ``actor`` (``{"kind": "caf", "caf_code": "080", "caf_roles": [...]}`` …)."""
        if not actor:
            return None
        claims = SessionClaims(
            sub=uuid.UUID(str(actor["sub"])) if actor.get("sub") else uuid.uuid4(),
            sid=uuid.UUID(str(actor["sid"])) if actor.get("sid") else uuid.uuid4(),
            kind=actor["kind"],
            partner_id=uuid.UUID(str(actor["partner_id"])) if actor.get("partner_id") else None,
            caf_code=actor.get("caf_code"),
            groups=list(actor.get("groups") or []),
            caf_roles=list(actor.get("caf_roles") or []),
            iat=int(now.timestamp()),
            exp=int((now + timedelta(minutes=minutes)).timestamp()),
        )
        return issue_token(claims, self.key)


def credential_for(runtime: ServiceRuntime, actor: dict[str, Any] | None) -> str | None:
    """A token for ``actor`` that ``runtime`` trusts (its test issuer, made on first use); None for no actor."""
    issuer = runtime.state.get("test_issuer")
    if issuer is None:
        issuer = runtime.state["test_issuer"] = TestIssuer(runtime.clock.now()).trusted_by(runtime)
    return issuer.token(actor, runtime.clock.now())


async def ask_as(runtime: ServiceRuntime, service: str, verb: str, actor: dict[str, Any] | None, **payload: Any) -> Any:
    """The ``result`` of ``service.rpc.verb`` asked as ``actor`` (a token ``runtime`` trusts); raises on a refusal."""
    reply = await runtime.request(service, verb, payload, timeout=10, credential=credential_for(runtime, actor))
    return reply["result"]
