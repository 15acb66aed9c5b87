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
from afas_shared.messaging.rpc import ServiceUnavailable

log = logging.getLogger(__name__)

ALGORITHM = "EdDSA"
ISSUER = "afas-identity"
AUDIENCE = "afas"

Reason = Literal["malformed", "unknown_key", "bad_signature", "expired", "revoked", "wrong_audience"]

_SESSION_OVER = "Session expirée, veuillez vous reconnecter."
_AUTH_REQUIRED = "Authentification requise."
UNAVAILABLE_MESSAGE = "Service momentanément indisponible, réessayez dans quelques instants."


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


class KeysUnavailable(ServiceUnavailable):
    """Identity's keys cannot be had right now: the token may well be valid, so this is a 503, never a 401."""

    message = UNAVAILABLE_MESSAGE

    def __init__(self, detail: str) -> None:
        super().__init__("identity", f"keys unavailable: {detail}")


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
        self._has_keys = False  # one fetch succeeded: the service holds identity's keys
        self._last_refetch: datetime | None = None  # a refetch for an unknown key: throttled unless it failed
        self._last_error: str | None = None  # the latest fetch failed (and why): keys may be stale
        self._refetching: asyncio.Task[None] | None = None

    @property
    def known_kids(self) -> frozenset[str]:
        return frozenset(self._keys)

    @property
    def has_keys(self) -> bool:
        """Whether identity's keys were fetched at least once: a service is not ready before."""
        return self._has_keys

    def source_changed(self) -> None:
        """The keys now come from elsewhere (a test's issuer): the next unknown key re-reads them at once."""
        self._last_refetch = None

    async def prime(self) -> None:
        """Fetch the keys now (start-up, and its retries); raises if identity cannot give them."""
        await self._share_fetch()
        if self._last_error is not None:
            raise KeysUnavailable(self._last_error)

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
            if self._last_error is not None:
                # Not known because identity could not be asked: the token may be valid (a new key, or none yet).
                raise KeysUnavailable(self._last_error)
            raise InvalidToken("unknown_key", kid)
        return key

    async def _refetch(self) -> None:
        """Re-read the JWKS after a rotation.

        A successful read is throttled, since anyone can send a token with a made-up kid; a failed one is not
        (identity was down: the next request asks again), concurrent callers still share one fetch.
        """
        if self._refetching is None:
            now = self._clock.now()
            recent = self._last_refetch is not None and now - self._last_refetch < self._refetch_interval
            if recent and self._last_error is None:
                return
            self._last_refetch = now
        await self._share_fetch()

    async def _share_fetch(self) -> None:
        if self._refetching is None:
            self._refetching = asyncio.create_task(self._replace_keys())
        # Shielded: one caller giving up (its request cancelled) must not cancel the others' fetch.
        await asyncio.shield(self._refetching)

    async def _replace_keys(self) -> None:
        try:
            self._keys = public_keys_from_jwks(await self._fetch_jwks())
        except Exception as exc:  # identity down or slow: reported by the caller, retried by the next one
            self._last_error = str(exc) or type(exc).__name__
            log.warning("could not fetch identity's JWKS: %s", self._last_error)
        else:
            self._has_keys = True
            self._last_error = None
        finally:
            self._refetching = None
