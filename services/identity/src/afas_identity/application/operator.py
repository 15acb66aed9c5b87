"""The platform operator's credential, and identity's own check of the sessions it verifies.

The operator holds a bootstrap secret (``AFAS_IDENTITY_OPERATOR_TOKEN``, the same value the gateway
knows as its admin token). It never travels beyond the gateway → identity hop: identity exchanges it
for a short session token it signs like any other, and that signed token is what every service
verifies when the operator acts. Rotating the secret stops new exchanges at once; tokens already
issued end with their short lifetime.
"""

from __future__ import annotations

import hmac
import logging
import uuid
from datetime import datetime, timedelta
from typing import Any

from afas_identity.adapters.tables import LoginSession
from afas_identity.application.errors import unauthorized
from afas_identity.application.signing_keys import key_ring, public_jwks
from afas_shared.auth.tokens import InvalidToken, SessionClaims, issue_token
from afas_shared.runtime import ServiceRuntime

log = logging.getLogger("afas.security")

# Stable, so the audit trail of every service names the same subject for the operator.
OPERATOR_SUBJECT = uuid.UUID("00000000-0000-0000-0000-00000000a0e0")
OPERATOR_SESSION = timedelta(minutes=10)


async def open_session(runtime: ServiceRuntime, token: str) -> dict[str, Any]:
    expected = runtime.settings.operator_token
    if not token or not hmac.compare_digest(token.encode(), expected.encode()):
        log.warning("refused identity.operator_session: wrong operator secret", extra={"audit": "refused"})
        raise unauthorized("Authentification requise.")
    now = runtime.clock.now()
    claims = SessionClaims(
        sub=OPERATOR_SUBJECT,
        sid=uuid.uuid4(),
        kind="operator",
        partner_id=None,
        caf_code=None,
        groups=[],
        caf_roles=[],
        iat=int(now.timestamp()),
        exp=int((now + OPERATOR_SESSION).timestamp()),
    )
    ring = await key_ring(runtime)
    return {
        "jeton": issue_token(claims, ring.active),
        "expire_a": datetime.fromtimestamp(claims.exp, tz=now.tzinfo).isoformat(),
    }


def verify_own_sessions(runtime: ServiceRuntime) -> None:
    """Identity verifies the tokens its requests carry with its own keys and its own table of sessions."""

    async def still_open(claims: SessionClaims) -> None:
        if claims.kind == "operator":
            return  # not a login session: short-lived, ends by its expiry
        async with runtime.db.sessions() as session:
            login = await session.get(LoginSession, claims.sid)
        if login is None or login.revoked_at is not None:
            raise InvalidToken("revoked")

    async def own_keys() -> dict[str, Any]:
        return await public_jwks(runtime)

    runtime.verify_sessions_with(own_keys, still_open)
