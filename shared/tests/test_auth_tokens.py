"""Session tokens: signed by identity's active key, verified locally against its published JWKS."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from afas_shared.auth import (
    InvalidToken,
    KeyRing,
    KeysUnavailable,
    RevocationList,
    SessionClaims,
    TokenVerifier,
    generate_signing_key,
    issue_token,
    public_jwk,
)
from afas_shared.auth.keys import b64url, b64url_decode, thumbprint
from afas_shared.clock import ManualClock

START = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


class FakeIdentity:
    """Serves the ring's JWKS and counts how often it is asked."""

    def __init__(self, ring: KeyRing) -> None:
        self.ring = ring
        self.calls = 0
        self.gate: asyncio.Event | None = None

    async def fetch_jwks(self) -> dict[str, Any]:
        self.calls += 1
        if self.gate is not None:
            await self.gate.wait()
        return self.ring.public_jwks()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def ring(clock: ManualClock) -> KeyRing:
    return KeyRing([generate_signing_key(clock.now())])


@pytest.fixture
def identity(ring: KeyRing) -> FakeIdentity:
    return FakeIdentity(ring)


@pytest.fixture
def revocations() -> RevocationList:
    return RevocationList()


@pytest.fixture
async def verifier(identity: FakeIdentity, clock: ManualClock, revocations: RevocationList) -> TokenVerifier:
    v = TokenVerifier(identity.fetch_jwks, clock, revocations)
    await v.prime()
    return v


def claims(clock: ManualClock, lifetime: timedelta = timedelta(minutes=15), **overrides: Any) -> SessionClaims:
    issued = int(clock.now().timestamp())
    values: dict[str, Any] = {
        "sub": uuid.uuid4(),
        "sid": uuid.uuid4(),
        "kind": "partner",
        "partner_id": uuid.uuid4(),
        "caf_code": None,
        "groups": ["AFAS-DECLARER"],
        "caf_roles": [],
        "iat": issued,
        "exp": issued + int(lifetime.total_seconds()),
    }
    values.update(overrides)
    return SessionClaims(**values)


async def refused(verifier: TokenVerifier, token: str) -> InvalidToken:
    with pytest.raises(InvalidToken) as caught:
        await verifier.verify(token)
    return caught.value


async def test_roundtrip(verifier: TokenVerifier, ring: KeyRing, clock: ManualClock) -> None:
    issued = claims(clock, password_change_required=True)
    token = issue_token(issued, ring.active)

    assert jwt.get_unverified_header(token) == {"alg": "EdDSA", "kid": ring.active.kid, "typ": "JWT"}
    assert await verifier.verify(token) == issued


def test_public_jwk_names_the_key_by_its_rfc7638_thumbprint(ring: KeyRing) -> None:
    key = ring.active
    jwk = public_jwk(key)

    assert jwk == {"kty": "OKP", "crv": "Ed25519", "x": jwk["x"], "kid": key.kid, "alg": "EdDSA", "use": "sig"}
    assert len(b64url_decode(jwk["x"])) == 32
    assert key.kid == thumbprint(key.public_key())
    assert "PRIVATE" not in repr(key)


def test_thumbprint_matches_rfc8037_example() -> None:
    # RFC 8037, appendix A.1 (private key) and A.3 (its JWK thumbprint).
    private = Ed25519PrivateKey.from_private_bytes(b64url_decode("nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"))

    assert thumbprint(private.public_key()) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"


async def test_token_of_a_key_identity_never_published_is_refused(verifier: TokenVerifier, clock: ManualClock) -> None:
    stranger = generate_signing_key(clock.now())

    error = await refused(verifier, issue_token(claims(clock), stranger))

    assert error.reason == "unknown_key"
    assert error.message == "Authentification requise."


async def test_token_signed_by_another_key_under_a_published_kid_is_refused(
    verifier: TokenVerifier, ring: KeyRing, clock: ManualClock
) -> None:
    forger = generate_signing_key(clock.now())
    payload = claims(clock).model_dump(mode="json")
    token = jwt.encode(payload, forger.private_key(), algorithm="EdDSA", headers={"kid": ring.active.kid})

    assert (await refused(verifier, token)).reason == "bad_signature"


async def test_tampered_payload_is_refused(verifier: TokenVerifier, ring: KeyRing, clock: ManualClock) -> None:
    header, payload, signature = issue_token(claims(clock), ring.active).split(".")
    values = json.loads(b64url_decode(payload))
    values["caf_roles"] = ["ADMIN"]
    forged = b64url(json.dumps(values).encode())

    assert (await refused(verifier, f"{header}.{forged}.{signature}")).reason == "bad_signature"


async def test_unsigned_alg_none_token_is_refused(verifier: TokenVerifier, ring: KeyRing, clock: ManualClock) -> None:
    payload = claims(clock).model_dump(mode="json")
    token = jwt.encode(payload, None, algorithm="none", headers={"kid": ring.active.kid})

    assert (await refused(verifier, token)).reason == "bad_signature"


async def test_hmac_token_keyed_with_the_public_key_is_refused(
    verifier: TokenVerifier, ring: KeyRing, clock: ManualClock
) -> None:
    # The classic algorithm confusion: the public key, which everyone has, used as an HMAC secret.
    secret = b64url_decode(public_jwk(ring.active)["x"])
    payload = claims(clock).model_dump(mode="json")
    token = jwt.encode(payload, secret, algorithm="HS256", headers={"kid": ring.active.kid})

    assert (await refused(verifier, token)).reason == "bad_signature"


@pytest.mark.parametrize("token", ["", "garbage", "a.b.c", "eyJhbGciOiJFZERTQSJ9.e30.AAAA"])
async def test_malformed_token_is_refused(verifier: TokenVerifier, token: str) -> None:
    assert (await refused(verifier, token)).reason in ("malformed", "bad_signature")


async def test_token_without_a_kid_is_malformed(verifier: TokenVerifier, ring: KeyRing, clock: ManualClock) -> None:
    token = jwt.encode(claims(clock).model_dump(mode="json"), ring.active.private_key(), algorithm="EdDSA")

    assert (await refused(verifier, token)).reason == "malformed"


async def test_signed_token_missing_claims_is_malformed(
    verifier: TokenVerifier, ring: KeyRing, clock: ManualClock
) -> None:
    payload = claims(clock).model_dump(mode="json")
    del payload["kind"]
    token = jwt.encode(payload, ring.active.private_key(), algorithm="EdDSA", headers={"kid": ring.active.kid})

    assert (await refused(verifier, token)).reason == "malformed"


@pytest.mark.parametrize("field, value", [("aud", "elsewhere"), ("iss", "someone-else")])
async def test_token_for_another_audience_or_issuer_is_refused(
    verifier: TokenVerifier, ring: KeyRing, clock: ManualClock, field: str, value: str
) -> None:
    token = issue_token(claims(clock, **{field: value}), ring.active)

    assert (await refused(verifier, token)).reason == "wrong_audience"


async def test_expiry_follows_the_injected_clock(verifier: TokenVerifier, ring: KeyRing, clock: ManualClock) -> None:
    # START is in the past: PyJWT's wall-clock check would have refused this token already.
    token = issue_token(claims(clock, lifetime=timedelta(minutes=15)), ring.active)
    clock.advance(timedelta(minutes=14, seconds=59))
    await verifier.verify(token)

    clock.advance(timedelta(seconds=1))
    error = await refused(verifier, token)

    assert error.reason == "expired"
    assert error.message == "Session expirée, veuillez vous reconnecter."


async def test_revoked_session_is_refused(
    verifier: TokenVerifier, ring: KeyRing, clock: ManualClock, revocations: RevocationList
) -> None:
    session = claims(clock)
    token = issue_token(session, ring.active)
    await verifier.verify(token)

    revocations.revoke(session.sid, clock.now() + timedelta(hours=1))
    error = await refused(verifier, token)

    assert error.reason == "revoked"
    assert error.message == "Session expirée, veuillez vous reconnecter."
    other = issue_token(claims(clock), ring.active)
    await verifier.verify(other)


async def test_unknown_kid_refetches_once_then_verifies_the_rotated_key(
    verifier: TokenVerifier, identity: FakeIdentity, ring: KeyRing, clock: ManualClock
) -> None:
    assert identity.calls == 1
    old = ring.active
    new = ring.rotate(clock.now())

    assert ring.active == new
    assert await verifier.verify(issue_token(claims(clock), new))
    assert identity.calls == 2
    assert await verifier.verify(issue_token(claims(clock), new))
    assert await verifier.verify(issue_token(claims(clock), old))
    assert identity.calls == 2


async def test_old_key_verifies_while_published_and_no_longer_once_retired(
    verifier: TokenVerifier, identity: FakeIdentity, ring: KeyRing, clock: ManualClock
) -> None:
    old = ring.active
    old_token = issue_token(claims(clock, lifetime=timedelta(hours=1)), old)
    clock.advance(timedelta(minutes=1))
    new = ring.rotate(clock.now())
    await verifier.verify(issue_token(claims(clock), new))
    assert await verifier.verify(old_token)

    assert ring.retire_older_than(new.created_at) == [old]
    assert [k.kid for k in ring.keys] == [new.kid]
    clock.advance(timedelta(seconds=5))
    # A newer key makes the verifier re-read the JWKS, which no longer has the old one.
    await verifier.verify(issue_token(claims(clock), ring.rotate(clock.now())))

    assert (await refused(verifier, old_token)).reason == "unknown_key"


async def test_made_up_kids_cannot_make_it_hammer_identity(
    verifier: TokenVerifier, identity: FakeIdentity, clock: ManualClock
) -> None:
    for _ in range(3):
        assert (await refused(verifier, issue_token(claims(clock), generate_signing_key(clock.now())))).reason == (
            "unknown_key"
        )
    assert identity.calls == 2

    clock.advance(timedelta(seconds=5))
    await refused(verifier, issue_token(claims(clock), generate_signing_key(clock.now())))
    assert identity.calls == 3


async def test_concurrent_callers_share_one_fetch(
    verifier: TokenVerifier, identity: FakeIdentity, ring: KeyRing, clock: ManualClock
) -> None:
    new = ring.rotate(clock.now())
    identity.gate = asyncio.Event()
    pending = [asyncio.create_task(verifier.verify(issue_token(claims(clock), new))) for _ in range(10)]
    await asyncio.sleep(0.01)
    identity.gate.set()

    results = await asyncio.gather(*pending)

    assert all(r.kind == "partner" for r in results)
    assert identity.calls == 2


async def test_unreachable_jwks_cannot_judge_unknown_keys_but_keeps_the_known_ones(
    identity: FakeIdentity, ring: KeyRing, clock: ManualClock, revocations: RevocationList
) -> None:
    healthy = True

    async def flaky() -> dict[str, Any]:
        if not healthy:
            raise ConnectionError("identity unreachable")
        return await identity.fetch_jwks()

    verifier = TokenVerifier(flaky, clock, revocations)
    await verifier.prime()
    healthy = False
    new = ring.rotate(clock.now())

    # A key it could not fetch: maybe a rotation, maybe forged; not a refusal (401) but "retry later" (503).
    with pytest.raises(KeysUnavailable):
        await verifier.verify(issue_token(claims(clock), new))
    assert await verifier.verify(issue_token(claims(clock), ring.keys[1]))
    healthy = True  # a failed fetch is not throttled: the next request asks again at once
    assert await verifier.verify(issue_token(claims(clock), new))


async def test_no_keys_while_identity_is_down_then_the_first_fetch_that_works(
    identity: FakeIdentity, ring: KeyRing, clock: ManualClock, revocations: RevocationList
) -> None:
    healthy = False

    async def flaky() -> dict[str, Any]:
        if not healthy:
            raise ConnectionError("no responders")
        return await identity.fetch_jwks()

    verifier = TokenVerifier(flaky, clock, revocations)
    with pytest.raises(KeysUnavailable):
        await verifier.prime()
    assert not verifier.has_keys
    token = issue_token(claims(clock), ring.active)
    for _ in range(3):  # never "unknown key": the token is valid, only identity cannot say so
        with pytest.raises(KeysUnavailable):
            await verifier.verify(token)

    healthy = True
    assert await verifier.verify(token)  # no 5 s wait after a failure
    assert verifier.has_keys
    assert (await refused(verifier, issue_token(claims(clock), generate_signing_key(clock.now())))).reason == (
        "unknown_key"
    )


async def test_without_prime_the_first_token_fetches_the_keys(
    identity: FakeIdentity, ring: KeyRing, clock: ManualClock, revocations: RevocationList
) -> None:
    verifier = TokenVerifier(identity.fetch_jwks, clock, revocations)

    assert await verifier.verify(issue_token(claims(clock), ring.active))
    assert identity.calls == 1


def test_key_ring_signs_with_its_newest_key(clock: ManualClock) -> None:
    first = generate_signing_key(clock.now())
    second = generate_signing_key(clock.now() + timedelta(days=1))
    ring = KeyRing([second, first])

    assert ring.active == second
    assert [k["kid"] for k in ring.public_jwks()["keys"]] == [second.kid, first.kid]
    assert ring.retire_older_than(clock.now() + timedelta(days=30)) == [first]
    assert ring.active == second
    with pytest.raises(ValueError):
        KeyRing([])


def test_manual_clock_moves_only_when_told() -> None:
    clock = ManualClock(START)
    clock.advance(timedelta(hours=2))
    assert clock.now() == START + timedelta(hours=2)
    clock.set(datetime(2030, 1, 1, tzinfo=UTC))
    assert clock.now().year == 2030
    with pytest.raises(ValueError):
        clock.set(datetime(2030, 1, 1))
