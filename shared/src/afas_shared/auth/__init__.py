"""Session tokens signed by identity and verified locally by every service."""

from afas_shared.auth.keys import KeyRing, SigningKey, generate_signing_key, jwks, public_jwk
from afas_shared.auth.revocation import (
    RevocationList,
    RevokedSession,
    create_revoked_session_table,
    delete_expired_revocations,
    load_revocations,
    revocation_handler,
)
from afas_shared.auth.tokens import InvalidToken, KeysUnavailable, SessionClaims, TokenVerifier, issue_token

__all__ = [
    "InvalidToken",
    "KeyRing",
    "KeysUnavailable",
    "RevocationList",
    "RevokedSession",
    "SessionClaims",
    "SigningKey",
    "TokenVerifier",
    "create_revoked_session_table",
    "delete_expired_revocations",
    "generate_signing_key",
    "issue_token",
    "jwks",
    "load_revocations",
    "public_jwk",
    "revocation_handler",
]
