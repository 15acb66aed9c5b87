"""Events that overtake the event creating what they change: kept, then applied when it arrives.

Each event type has its own consumer, so ``UserUpdated`` may be handled before ``UserCreated``, ``ActivityClosed``
before ``ActivityRegistered``. Retrying such an event until its aggregate arrives ends in a dead letter whenever the
backlog holding the creation lasts longer than the retries, and nothing repairs it. Instead the early event is kept
here, in the transaction that records it in the inbox (so it is handled once), and the handler of the creation, once
it has written the row, releases what was kept for that row: each kept event goes through its own handler, oldest
version first. The read models compare versions (``apply_versioned``, ``apply_groups``), so the final state is the
same in either order. The creation and its early events are one aggregate, so the consumer handles them one at a
time (``afas_shared.messaging.consumer``): a keep and a release never interleave.

A service whose handlers keep early events creates the table in one of its migrations (``create_early_event_table``).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from alembic import op
from prometheus_client import Counter, Gauge
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Field, SQLModel, col

from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.registry import parse
from afas_shared.db.types import UtcDateTime
from afas_shared.messaging.tables import utcnow
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.read_models import versioned

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, Envelope[Any]], Awaitable[None]]

KEPT = Counter("afas_events_kept_early_total", "Events kept until the aggregate they change arrives", ["type"])
RELEASED = Counter("afas_events_released_total", "Early events applied once their aggregate arrived", ["type"])
OVERDUE = Gauge(
    "afas_events_early_overdue",
    "Early events still waiting for their aggregate past the alert delay (the creation never came: an operator looks)",
    ["type"],
)


class EarlyEvent(SQLModel, table=True):
    """One event waiting for the row it changes (``waiting_for``: ``<read model>:<key>``)."""

    __tablename__ = "early_event"

    waiting_for: str = Field(primary_key=True, max_length=200)
    event_id: str = Field(primary_key=True, max_length=36)
    type: str = Field(max_length=200)
    aggregate_version: int
    envelope: str
    kept_at: datetime = Field(default_factory=utcnow, sa_type=UtcDateTime())


async def keep(uow: UnitOfWork, envelope: Envelope[Any], waiting_for: str) -> None:
    """Keep the event until ``release(uow, waiting_for, …)``; a second keep of one event changes nothing."""
    values = {
        "waiting_for": waiting_for,
        "event_id": str(envelope.id),
        "type": envelope.type,
        "aggregate_version": envelope.aggregate_version,
        "envelope": envelope.model_dump_json(),
        "kept_at": utcnow(),
    }
    dialect = postgresql if uow.session.get_bind().dialect.name == "postgresql" else sqlite
    await uow.session.execute(dialect.insert(EarlyEvent).values(**values).on_conflict_do_nothing())
    KEPT.labels(envelope.type).inc()
    log.info("%s %s kept until %s arrives", envelope.type, envelope.id, waiting_for)


async def release(uow: UnitOfWork, waiting_for: str, handlers: Mapping[str, Handler]) -> int:
    """Apply the events kept for ``waiting_for`` (oldest version first) with ``handlers`` (by contract subject),
    in the caller's transaction, and forget them; how many were applied."""
    query = (
        sa.select(EarlyEvent)
        .where(col(EarlyEvent.waiting_for) == waiting_for)
        .order_by(col(EarlyEvent.aggregate_version), col(EarlyEvent.kept_at))
    )
    kept = list((await uow.session.execute(query)).scalars())
    for row in kept:
        envelope = parse(row.type, row.envelope)
        # A kept event older than what the row now holds is its own no-op, not the releasing event's.
        _, token = versioned.watch_stale()
        try:
            await handlers[row.type](uow, envelope)
        finally:
            versioned.reset_stale(token)
        await uow.session.delete(row)
        RELEASED.labels(row.type).inc()
    if kept:
        await uow.session.flush()
    return len(kept)


async def waiting(session, waiting_for: str) -> list[EarlyEvent]:
    """The events kept for ``waiting_for`` (for tests and operators)."""
    query = (
        sa.select(EarlyEvent)
        .where(col(EarlyEvent.waiting_for) == waiting_for)
        .order_by(col(EarlyEvent.aggregate_version))
    )
    return list((await session.execute(query)).scalars())


async def report_overdue(session, now: datetime, older_than_seconds: float) -> dict[str, int]:
    """Count the events kept longer than ``older_than_seconds`` by type, set the gauge and log a warning naming them:
    an aggregate whose creation never arrives is not repaired by waiting, an operator must look (issue 15)."""
    limit = now - timedelta(seconds=older_than_seconds)
    rows = (
        await session.execute(
            sa.select(col(EarlyEvent.type), sa.func.count(), sa.func.min(col(EarlyEvent.kept_at)))
            .where(col(EarlyEvent.kept_at) < limit)
            .group_by(col(EarlyEvent.type))
        )
    ).all()
    overdue = {type_: count for type_, count, _ in rows}
    OVERDUE.clear()  # a type released since the last check drops back to nothing overdue
    for type_, count in overdue.items():
        OVERDUE.labels(type_).set(count)
    for type_, count, oldest in rows:
        log.warning(
            "%d %s event(s) waiting for their aggregate for more than %.0f s (oldest kept at %s): its creation never "
            "came; see the early_event table",
            count,
            type_,
            older_than_seconds,
            oldest.isoformat() if oldest else "?",
        )
    return overdue


def watch(runtime) -> None:
    """Check for overdue early events every ``early_event_check_seconds`` of the service's settings."""
    settings = runtime.settings

    async def check() -> None:
        async with runtime.db.sessions() as session:
            await report_overdue(session, runtime.clock.now(), settings.early_event_alert_seconds)

    runtime.every(settings.early_event_check_seconds, check)


def create_early_event_table() -> None:
    """For a service's alembic revision; frozen here, never derived from the model."""
    op.create_table(
        "early_event",
        sa.Column("waiting_for", sa.String(200), primary_key=True),
        sa.Column("event_id", sa.String(36), primary_key=True),
        sa.Column("type", sa.String(200), nullable=False),
        sa.Column("aggregate_version", sa.Integer(), nullable=False),
        sa.Column("envelope", sa.Text(), nullable=False),
        sa.Column("kept_at", sa.DateTime(timezone=True), nullable=False),
    )
