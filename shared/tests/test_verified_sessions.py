"""The gateway remembers a verified session token for a short while: the signature is checked once, while expiry,
revocation and the signing key's presence are checked again on every request (a revoked session stops at once)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from afas_shared.auth import (
    InvalidToken,
    KeyRing,
    RevocationList,
    SessionClaims,
    TokenVerifier,
    generate_signing_key,
    issue_token,
)
from afas_shared.auth.verified_sessions import VerifiedSessions
from afas_shared.clock import ManualClock

START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


class CountingVerifier(TokenVerifier):
    """The real verifier, counting the tokens it is asked to verify from scratch."""

    checked = 0

    async def verify(self, token: str) -> SessionClaims:
        self.checked += 1
        return await super().verify(token)


class World:
    def __init__(self) -> None:
        self.clock = ManualClock(START)
        self.ring = KeyRing([generate_signing_key(self.clock.now())])
        self.revocations = RevocationList()

        async def jwks() -> dict:
            return self.ring.public_jwks()

        self.verifier = CountingVerifier(jwks, self.clock, self.revocations)
        self.sessions = VerifiedSessions(self.verifier, self.revocations, self.clock.now, ttl_seconds=60, capacity=3)

    def token(self, minutes: int = 30) -> tuple[str, SessionClaims]:
        issued = int(self.clock.now().timestamp())
        claims = SessionClaims(
            sub=uuid.uuid4(),
            sid=uuid.uuid4(),
            kind="caf",
            partner_id=None,
            caf_code="080",
            groups=[],
            caf_roles=["gestionnaire"],
            iat=issued,
            exp=issued + minutes * 60,
        )
        return issue_token(claims, self.ring.active), claims


@pytest.fixture
async def world() -> World:
    made = World()
    await made.verifier.prime()
    return made


async def test_a_token_is_verified_once_then_answered_from_memory(world: World) -> None:
    token, claims = world.token()
    assert await world.sessions.verify(token) == claims
    assert await world.sessions.verify(token) == claims
    assert world.verifier.checked == 1
    world.clock.advance(timedelta(seconds=61))  # past the memory's lifetime: verified again
    assert await world.sessions.verify(token) == claims
    assert world.verifier.checked == 2


async def test_a_session_revoked_after_its_token_was_remembered_is_refused_at_its_next_request(world: World) -> None:
    token, claims = world.token()
    await world.sessions.verify(token)
    world.revocations.revoke(claims.sid, world.clock.now() + timedelta(minutes=30))
    with pytest.raises(InvalidToken) as refused:
        await world.sessions.verify(token)
    assert refused.value.reason == "revoked"
    assert refused.value.message == "Session expirée, veuillez vous reconnecter."


async def test_a_remembered_token_is_refused_once_expired(world: World) -> None:
    token, _ = world.token(minutes=1)
    await world.sessions.verify(token)
    world.clock.advance(timedelta(seconds=59))
    await world.sessions.verify(token)
    world.clock.advance(timedelta(seconds=1))
    with pytest.raises(InvalidToken) as refused:
        await world.sessions.verify(token)
    assert refused.value.reason == "expired"


async def test_a_token_whose_key_identity_withdrew_is_no_longer_accepted(world: World) -> None:
    token, _ = world.token()
    await world.sessions.verify(token)
    world.clock.advance(timedelta(seconds=5))
    world.ring.rotate(world.clock.now())
    world.ring.retire_older_than(world.clock.now())
    await world.verifier.prime()  # the service re-reads identity's keys
    with pytest.raises(InvalidToken) as refused:
        await world.sessions.verify(token)
    assert refused.value.reason == "unknown_key"


async def test_refused_tokens_are_never_remembered_and_the_memory_stays_bounded(world: World) -> None:
    token, _ = world.token()
    for _ in range(2):
        with pytest.raises(InvalidToken):
            await world.sessions.verify(token[:-4] + "AAAA")  # signature altered
    assert len(world.sessions) == 0 and world.verifier.checked == 2
    for _ in range(5):
        await world.sessions.verify(world.token()[0])
    assert len(world.sessions) == 3
