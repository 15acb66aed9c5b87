"""The keys that sign session tokens; their public halves are published for every service."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from afas_identity.adapters.metrics import SIGNING_KEY_CREATED
from afas_identity.adapters.tables import SigningKeyRow
from afas_identity.application import audit
from afas_identity.application.context import Caller
from afas_shared.auth.keys import KeyRing, SigningKey, generate_signing_key, jwks
from afas_shared.runtime import ServiceRuntime


async def key_ring(runtime: ServiceRuntime) -> KeyRing:
    lock = runtime.state.setdefault("key_ring_lock", asyncio.Lock())
    async with lock:  # concurrent first logins must not each create a key
        ring = runtime.state.get("key_ring")
        if ring is None:
            ring = await _load_or_create(runtime)
            runtime.state["key_ring"] = ring
    return ring


async def _load_or_create(runtime: ServiceRuntime) -> KeyRing:
    async with runtime.db.transaction() as session:
        rows = (
            (
                await session.execute(
                    sa.select(SigningKeyRow)
                    .where(SigningKeyRow.retired_at.is_(None))
                    .order_by(SigningKeyRow.created_at)
                )
            )
            .scalars()
            .all()
        )
        if not rows:
            key = generate_signing_key(runtime.clock.now())
            session.add(SigningKeyRow(kid=key.kid, private_pem=key.private_pem, created_at=key.created_at))
            _created(key.created_at)
            return KeyRing([key])
    _created(rows[-1].created_at)
    return KeyRing([SigningKey(kid=r.kid, private_pem=r.private_pem, created_at=r.created_at) for r in rows])


async def rotate(runtime: ServiceRuntime, caller: Caller) -> dict[str, Any]:
    """New active key; the previous ones keep verifying the tokens they signed until retired. The audit trail's
    ``signing_key.rotate`` line (the new key's id, public) commits with the key."""
    ring = await key_ring(runtime)
    key = ring.rotate(runtime.clock.now())
    async with runtime.unit_of_work() as uow:
        uow.session.add(SigningKeyRow(kid=key.kid, private_pem=key.private_pem, created_at=key.created_at))
        audit.record(uow, runtime, caller, "signing_key.rotate", target=key.kid)
    _created(key.created_at)
    return {"kid": key.kid}


# Every 5 minutes: a replica that did not rotate learns the new key's age from the table too
SAMPLE_SECONDS = 300.0


async def sample_key_age(runtime: ServiceRuntime) -> None:
    """The newest key not retired (the one that signs, on every replica once restarted) sets the gauge."""
    async with runtime.db.sessions() as session:
        newest = (
            await session.execute(
                sa.select(sa.func.max(SigningKeyRow.created_at)).where(SigningKeyRow.retired_at.is_(None))
            )
        ).scalar()
    if newest is not None:
        _created(newest)


def _created(moment: datetime) -> None:
    SIGNING_KEY_CREATED.set((moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp())


async def public_jwks(runtime: ServiceRuntime) -> dict[str, Any]:
    """Every key not retired, read from the database: replicas of identity may each have signed with theirs."""
    await key_ring(runtime)
    async with runtime.db.sessions() as session:
        rows = (await session.execute(sa.select(SigningKeyRow).where(SigningKeyRow.retired_at.is_(None)))).scalars()
        return jwks(SigningKey(kid=r.kid, private_pem=r.private_pem, created_at=r.created_at) for r in rows)
