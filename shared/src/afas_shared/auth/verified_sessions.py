"""Session tokens verified once per process and remembered for a short while, not re-verified on every request.

A user's browser or client sends the same token on every call until it is refreshed (a minute later at the
earliest). Verifying it costs a JWT parse, an Ed25519 signature check and the claims' validation on each request;
the answer for the same token string cannot change, except through what is checked again on every use of a
remembered token:

- its expiry, against the service's clock;
- its session's revocation (``RevocationList``, fed by identity's ``session_revoked`` events): a revoked session
  stops at its next request, exactly as without the memory — no added delay;
- the key that signed it is still one of identity's published keys (a key withdrawn after a compromise stops the
  tokens it signed as soon as the service re-reads the keys).

Only tokens that passed are remembered (a refused token is verified again, and refused again), for at most
``ttl_seconds``, at most ``capacity`` of them (the oldest forgotten first): the memory stays bounded whatever
clients send.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import jwt

from afas_shared.auth.revocation import RevocationList
from afas_shared.auth.tokens import InvalidToken, SessionClaims, TokenVerifier

TTL_SECONDS = 60.0
CAPACITY = 4096


@dataclass(frozen=True)
class _Verified:
    claims: SessionClaims
    kid: str
    until: float  # remembered until then (epoch seconds), never beyond the token's expiry


class VerifiedSessions:
    def __init__(
        self,
        tokens: TokenVerifier,
        revocations: RevocationList,
        now: Callable[[], datetime],
        *,
        ttl_seconds: float = TTL_SECONDS,
        capacity: int = CAPACITY,
    ) -> None:
        self._tokens = tokens
        self._revocations = revocations
        self._now = now  # the service's clock, read at each call (a test may replace it)
        self._ttl = ttl_seconds
        self._capacity = capacity
        self._verified: OrderedDict[str, _Verified] = OrderedDict()

    def __len__(self) -> int:
        return len(self._verified)

    async def verify(self, token: str) -> SessionClaims:
        """The token's claims, as ``TokenVerifier.verify`` answers them (same refusals)."""
        now = self._now()
        known = self._verified.get(token)
        if known is not None:
            if now.timestamp() < known.until and known.kid in self._tokens.known_kids:
                if self._revocations.is_revoked(known.claims.sid, now):
                    raise InvalidToken("revoked")
                return known.claims
            del self._verified[token]  # stale: verified again below, from scratch
        claims = await self._tokens.verify(token)
        self._remember(token, claims, now.timestamp())
        return claims

    def _remember(self, token: str, claims: SessionClaims, now: float) -> None:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.InvalidTokenError:
            kid = None
        if not isinstance(kid, str):  # not a token of identity's keys (a verifier of tests' own): never remembered
            return
        while len(self._verified) >= self._capacity:
            self._verified.popitem(last=False)
        self._verified[token] = _Verified(claims, kid, min(now + self._ttl, float(claims.exp)))
