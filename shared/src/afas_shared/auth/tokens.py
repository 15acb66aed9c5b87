"""Session tokens: identity signs them (EdDSA), every other service verifies them locally.

Verification needs no call to identity per request: only identity's public keys (its JWKS,
cached and re-fetched when a token names an unknown key) and the list of revoked sessions.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from pydantic import BaseModel, ConfigDict, ValidationError

from afas_shared.auth.keys import SigningKey, b64url_decode
from afas_shared.auth.revocation import RevocationList
from afas_shared.clock import Clock

log = logging.getLogger(__name__)

ALGORITHM = "EdDSA"
ISSUER = "afas-identity"
AUDIENCE = "afas"

Reason = Literal["malformed", "unknown_key", "bad_signature", "expired", "revoked", "wrong_audience"]

_SESSION_OVER = "Session expirée, veuillez vous reconnecter."
_AUTH_REQUIRED = "Authentification requise."


class SessionClaims(BaseModel):
    """What a session token asserts about its bearer."""

    model_config = ConfigDict(frozen=True)

    sub: uuid.UUID
    sid: uuid.UUID
    kind: Literal["partner", "caf", "operator"]
    partner_id: uuid.UUID | None
    caf_code: str | None
    groups: list[str]
    caf_roles: list[str]
    password_change_required: bool = False
    iat: int
    exp: int
    iss: str = ISSUER
    aud: str = AUDIENCE


class InvalidToken(Exception):
    """The token cannot be trusted; ``reason`` is for logs, ``message`` for the user (French)."""

    def __init__(self, reason: Reason, detail: str | None = None) -> None:
        self.reason: Reason = reason
        self.message = _SESSION_OVER if reason in ("expired", "revoked") else _AUTH_REQUIRED
        super().__init__(f"{reason}: {detail}" if detail else reason)


def issue_token(claims: SessionClaims, key: SigningKey) -> str:
    return jwt.encode(claims.model_dump(mode="json"), key.private_key(), algorithm=ALGORITHM, headers={"kid": key.kid})


def public_keys_from_jwks(document: dict[str, Any]) -> dict[str, Ed25519PublicKey]:
    """The Ed25519 keys of a JWKS by kid; any other kind of key is ignored, never trusted."""
    keys: dict[str, Ed25519PublicKey] = {}
    for jwk in document.get("keys", []):
        if not isinstance(jwk, dict) or jwk.get("kty") != "OKP" or jwk.get("crv") != "Ed25519":
            continue
        kid, x = jwk.get("kid"), jwk.get("x")
        if not isinstance(kid, str) or not isinstance(x, str):
            continue
        try:
            keys[kid] = Ed25519PublicKey.from_public_bytes(b64url_decode(x))
        except ValueError:
            log.warning("ignoring unreadable key %s in the JWKS", kid)
    return keys


_DECODE_OPTIONS: Any = {
    # Time is judged against the injected clock below, not PyJWT's wall clock, so tests can move it.
    "verify_exp": False,
    "verify_iat": False,
    "verify_nbf": False,
    "require": ["sub", "sid", "iat", "exp", "iss", "aud"],
}


class TokenVerifier:
    """Verifies session tokens with identity's published keys, its clock and the revoked sessions."""

    def __init__(
        self,
        fetch_jwks: Callable[[], Awaitable[dict[str, Any]]],
        clock: Clock,
        revocations: RevocationList,
        *,
        refetch_interval: timedelta = timedelta(seconds=5),
    ) -> None:
        self._fetch_jwks = fetch_jwks
        self._clock = clock
        self._revocations = revocations
        self._refetch_interval = refetch_interval
        self._keys: dict[str, Ed25519PublicKey] = {}
        self._last_refetch: datetime | None = None
        self._refetching: asyncio.Task[None] | None = None

    @property
    def known_kids(self) -> frozenset[str]:
        return frozenset(self._keys)

    async def prime(self) -> None:
        """Fetch the keys once up front, so the first requests do not wait for them."""
        self._keys = public_keys_from_jwks(await self._fetch_jwks())

    async def verify(self, token: str) -> SessionClaims:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise InvalidToken("malformed", str(exc)) from None
        # Pinned before anything else: "none" and HMAC tokens never reach a key.
        if header.get("alg") != ALGORITHM:
            raise InvalidToken("bad_signature", f"algorithm {header.get('alg')!r} refused")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise InvalidToken("malformed", "no key id")
        key = await self._key(kid)

        try:
            payload = jwt.decode(
                token, key, algorithms=[ALGORITHM], audience=AUDIENCE, issuer=ISSUER, options=_DECODE_OPTIONS
            )
        except jwt.InvalidSignatureError:
            raise InvalidToken("bad_signature") from None
        except (jwt.InvalidAudienceError, jwt.InvalidIssuerError) as exc:
            # A token for another audience or from another issuer is not meant for us, whoever signed it.
            raise InvalidToken("wrong_audience", str(exc)) from None
        except jwt.InvalidTokenError as exc:
            raise InvalidToken("malformed", str(exc)) from None
        try:
            claims = SessionClaims.model_validate(payload)
        except ValidationError as exc:
            raise InvalidToken("malformed", f"{exc.error_count()} invalid claims") from None

        now = self._clock.now()
        if now.timestamp() >= claims.exp:
            raise InvalidToken("expired")
        if self._revocations.is_revoked(claims.sid, now):
            raise InvalidToken("revoked")
        return claims

    async def _key(self, kid: str) -> Ed25519PublicKey:
        key = self._keys.get(kid)
        if key is None:
            await self._refetch()
            key = self._keys.get(kid)
        if key is None:
            raise InvalidToken("unknown_key", kid)
        return key

    async def _refetch(self) -> None:
        """Re-read the JWKS after a rotation; throttled, since anyone can send a token with a made-up kid."""
        if self._refetching is None:
            now = self._clock.now()
            if self._last_refetch is not None and now - self._last_refetch < self._refetch_interval:
                return
            self._last_refetch = now
            self._refetching = asyncio.create_task(self._replace_keys())
        task = self._refetching
        try:
            # Shielded: one caller giving up (its request cancelled) must not cancel the others' fetch.
            await asyncio.shield(task)
        except Exception:
            log.warning("could not re-fetch identity's JWKS", exc_info=True)

    async def _replace_keys(self) -> None:
        try:
            self._keys = public_keys_from_jwks(await self._fetch_jwks())
        finally:
            self._refetching = None
