"""The tables every service keeps for reliable messaging: outbox, inbox, dead letters and the operators'
actions on them (``dead_letter_action``: who replayed or discarded which dead letter, when and why)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(UTC)


class OutboxRecord(SQLModel, table=True):
    __tablename__ = "outbox"

    seq: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=36, unique=True)
    subject: str = Field(max_length=200)
    payload: str
    headers: str = "{}"
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    sent_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True), index=True)


class InboxRecord(SQLModel, table=True):
    __tablename__ = "inbox"

    consumer: str = Field(max_length=200, primary_key=True)
    event_id: str = Field(max_length=36, primary_key=True)
    subject: str = Field(max_length=200)
    handled_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class DeadLetter(SQLModel, table=True):
    __tablename__ = "dead_letter"

    id: int | None = Field(default=None, primary_key=True)
    consumer: str = Field(max_length=200, index=True)
    subject: str = Field(max_length=200)
    event_id: str | None = Field(default=None, max_length=36)
    payload: str
    headers: str = "{}"
    error: str
    deliveries: int
    failed_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    replayed_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class DeadLetterAction(SQLModel, table=True):
    """The audit trail of the dead-letter desk: one row per replay, failed replay or discard."""

    __tablename__ = "dead_letter_action"

    id: int | None = Field(default=None, primary_key=True)
    dead_letter_id: int = Field(index=True)
    action: str = Field(max_length=20)  # replayed, replay_failed, discarded
    actor: str = Field(max_length=200)
    reason: str | None = None
    outcome: str | None = None  # the consumer's outcome, or the error of a failed replay
    at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


def create_dead_letter_action_table() -> None:
    """For each service's revision adding the dead-letter desk's audit trail; frozen here."""
    op.create_table(
        "dead_letter_action",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("dead_letter_id", sa.Integer(), nullable=False, index=True),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def create_messaging_tables() -> None:
    """Called from each service's first alembic revision; frozen here, never derived from the models."""
    tz = sa.DateTime(timezone=True)
    op.create_table(
        "outbox",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(36), nullable=False, unique=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("created_at", tz, nullable=False),
        sa.Column("sent_at", tz, nullable=True),
    )
    op.create_index("ix_outbox_sent_at", "outbox", ["sent_at"])
    op.create_table(
        "inbox",
        sa.Column("consumer", sa.String(200), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("handled_at", tz, nullable=False),
    )
    op.create_table(
        "dead_letter",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("consumer", sa.String(200), nullable=False, index=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("deliveries", sa.Integer(), nullable=False),
        sa.Column("failed_at", tz, nullable=False),
        sa.Column("replayed_at", tz, nullable=True),
    )


def drop_messaging_tables() -> None:
    for name in ("dead_letter", "inbox", "outbox"):
        op.drop_table(name)
