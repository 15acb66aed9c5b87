"""Sessions identity ended early, so that tokens still within their lifetime are refused.

Each verifying service keeps the revoked sessions in memory (checked on every request) and in a
table of its own database (so a restart does not forget them), fed by ``identity.session_revoked.v1``.
An entry is only needed until the session would have expired anyway; after that the token's own
expiry refuses it.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import cast

import sqlalchemy as sa
from alembic import op
from sqlmodel import Field, SQLModel, col

from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.identity import SessionRevokedV1
from afas_shared.db.engine import Database
from afas_shared.messaging.unit_of_work import UnitOfWork


def _utc(moment: datetime) -> datetime:
    # SQLite hands datetimes back naive; they were stored in UTC.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class RevocationList:
    """Revoked session ids with the moment each may be forgotten."""

    def __init__(self) -> None:
        self._until: dict[uuid.UUID, datetime] = {}

    def revoke(self, sid: uuid.UUID, expires_at: datetime) -> None:
        expires_at = _utc(expires_at)
        known = self._until.get(sid)
        if known is None or expires_at > known:
            self._until[sid] = expires_at

    def is_revoked(self, sid: uuid.UUID, now: datetime) -> bool:
        until = self._until.get(sid)
        return until is not None and _utc(now) < until

    def prune(self, now: datetime) -> int:
        """Forget sessions past their expiry; returns how many were dropped."""
        now = _utc(now)
        stale = [sid for sid, until in self._until.items() if until <= now]
        for sid in stale:
            del self._until[sid]
        return len(stale)

    def __len__(self) -> int:
        return len(self._until)


class RevokedSession(SQLModel, table=True):
    __tablename__ = "revoked_session"

    session_id: uuid.UUID = Field(primary_key=True)
    user_id: uuid.UUID
    reason: str = Field(max_length=40)
    expires_at: datetime = Field(sa_type=sa.DateTime(timezone=True))


def create_revoked_session_table() -> None:
    """For a service's alembic revision; frozen here, never derived from the model."""
    op.create_table(
        "revoked_session",
        sa.Column("session_id", sa.Uuid(), primary_key=True),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )


async def load_revocations(db: Database, revocations: RevocationList, now: datetime) -> int:
    """Fill the in-memory list from the table at start-up; returns how many sessions are still revoked."""
    query = sa.select(col(RevokedSession.session_id), col(RevokedSession.expires_at)).where(
        col(RevokedSession.expires_at) > _utc(now)
    )
    async with db.sessions() as session:
        rows = (await session.execute(query)).all()
    for session_id, expires_at in rows:
        revocations.revoke(session_id, expires_at)
    return len(rows)


async def delete_expired_revocations(db: Database, now: datetime) -> int:
    """Housekeeping: rows past their expiry protect nothing any more."""
    async with db.transaction() as session:
        result = await session.execute(sa.delete(RevokedSession).where(col(RevokedSession.expires_at) <= _utc(now)))
    return cast("sa.CursorResult", result).rowcount or 0  # a DELETE gives a CursorResult


SessionRevokedHandler = Callable[[UnitOfWork, Envelope[SessionRevokedV1]], Awaitable[None]]


def revocation_handler(revocations: RevocationList) -> SessionRevokedHandler:
    """The consumer of ``identity.session_revoked.v1``: records the session and refuses it at once."""

    async def on_session_revoked(uow: UnitOfWork, envelope: Envelope[SessionRevokedV1]) -> None:
        event = envelope.data
        expires_at = _utc(event.expires_at)
        # Before the commit on purpose: refusing a little early is harmless, accepting late is not.
        revocations.revoke(event.session_id, expires_at)
        row = await uow.session.get(RevokedSession, event.session_id)
        if row is None:
            uow.session.add(
                RevokedSession(
                    session_id=event.session_id, user_id=event.user_id, reason=event.reason, expires_at=expires_at
                )
            )
        elif _utc(row.expires_at) < expires_at:
            row.expires_at = expires_at

    return on_session_revoked
