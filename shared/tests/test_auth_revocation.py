"""Revoked sessions: refused from memory at once, remembered in the service's database across restarts."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from sqlmodel import SQLModel

from afas_shared.auth import RevocationList, RevokedSession, load_revocations, revocation_handler
from afas_shared.auth.revocation import delete_expired_revocations
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.identity import SessionRevokedV1
from afas_shared.db.engine import Database
from afas_shared.messaging.unit_of_work import unit_of_work

NOW = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
async def db(backends):
    database = Database(backends.database_url("auth"))
    async with database.engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all, tables=[RevokedSession.__table__])
    yield database
    await database.dispose()


def revoked_event(session_id: uuid.UUID | None = None, expires_at: datetime = NOW + timedelta(hours=1)) -> Envelope:
    event = SessionRevokedV1(
        session_id=session_id or uuid.uuid4(), user_id=uuid.uuid4(), reason="logout", expires_at=expires_at
    )
    return Envelope.wrap(event, subject=str(event.user_id), aggregate_version=1, correlation_id="test")


async def rows(db: Database) -> list[RevokedSession]:
    async with db.sessions() as session:
        return list((await session.execute(sa.select(RevokedSession))).scalars())


def test_revocation_lasts_until_the_session_would_have_expired() -> None:
    revocations = RevocationList()
    sid = uuid.uuid4()
    revocations.revoke(sid, NOW + timedelta(minutes=30))

    assert revocations.is_revoked(sid, NOW)
    assert revocations.is_revoked(sid, NOW + timedelta(minutes=29))
    assert not revocations.is_revoked(sid, NOW + timedelta(minutes=30))
    assert not revocations.is_revoked(uuid.uuid4(), NOW)


def test_a_second_revocation_never_shortens_the_first() -> None:
    revocations = RevocationList()
    sid = uuid.uuid4()
    revocations.revoke(sid, NOW + timedelta(hours=2))
    revocations.revoke(sid, NOW + timedelta(hours=1))

    assert revocations.is_revoked(sid, NOW + timedelta(minutes=90))
    assert len(revocations) == 1


def test_prune_forgets_only_sessions_past_their_expiry() -> None:
    revocations = RevocationList()
    stale, live = uuid.uuid4(), uuid.uuid4()
    revocations.revoke(stale, NOW + timedelta(minutes=5))
    revocations.revoke(live, NOW + timedelta(hours=1))

    assert revocations.prune(NOW + timedelta(minutes=10)) == 1
    assert len(revocations) == 1
    assert revocations.is_revoked(live, NOW + timedelta(minutes=10))


async def test_handler_refuses_the_session_before_its_transaction_commits(db: Database) -> None:
    revocations = RevocationList()
    envelope = revoked_event()

    async with unit_of_work(db) as uow:
        await revocation_handler(revocations)(uow, envelope)
        assert revocations.is_revoked(envelope.data.session_id, NOW)

    [row] = await rows(db)
    assert (row.session_id, row.user_id, row.reason) == (envelope.data.session_id, envelope.data.user_id, "logout")


async def test_handling_the_same_revocation_twice_is_harmless(db: Database) -> None:
    revocations = RevocationList()
    handler = revocation_handler(revocations)
    envelope = revoked_event()

    for _ in range(2):
        async with unit_of_work(db) as uow:
            await handler(uow, envelope)

    assert len(await rows(db)) == 1
    assert len(revocations) == 1


async def test_load_revocations_restores_live_ones_and_skips_expired(db: Database) -> None:
    handler = revocation_handler(RevocationList())
    live, expired = (
        revoked_event(expires_at=NOW + timedelta(hours=1)),
        revoked_event(expires_at=NOW - timedelta(seconds=1)),
    )
    for envelope in (live, expired):
        async with unit_of_work(db) as uow:
            await handler(uow, envelope)

    restarted = RevocationList()
    assert await load_revocations(db, restarted, NOW) == 1

    assert len(restarted) == 1
    assert restarted.is_revoked(live.data.session_id, NOW)
    assert not restarted.is_revoked(expired.data.session_id, NOW - timedelta(hours=1))


async def test_load_compares_instants_whatever_the_time_zone(db: Database) -> None:
    paris = datetime(2025, 3, 1, 10, 30, tzinfo=ZoneInfo("Europe/Paris"))  # 09:30 UTC
    envelope = revoked_event(expires_at=paris)
    async with unit_of_work(db) as uow:
        await revocation_handler(RevocationList())(uow, envelope)

    early, late = RevocationList(), RevocationList()
    await load_revocations(db, early, NOW + timedelta(minutes=29))
    await load_revocations(db, late, NOW + timedelta(minutes=30))

    assert early.is_revoked(envelope.data.session_id, NOW + timedelta(minutes=29))
    assert len(late) == 0


async def test_expired_rows_can_be_deleted(db: Database) -> None:
    handler = revocation_handler(RevocationList())
    for expires_at in (NOW - timedelta(minutes=1), NOW + timedelta(minutes=1)):
        async with unit_of_work(db) as uow:
            await handler(uow, revoked_event(expires_at=expires_at))

    assert await delete_expired_revocations(db, NOW) == 1
    assert len(await rows(db)) == 1
