"""Idempotent consumer: inbox row, the work and its outgoing events in one transaction; ack after.

A failure is retried with backoff (``nak`` with a delay); after ``max_deliver`` attempts, or at
once for a message that cannot even be parsed, it is written to ``dead_letter`` and terminated,
so one poison message never blocks the stream.

Per-aggregate ordering: FastStream starts every message of a fetched batch at once, so two events of
one aggregate could otherwise be handled concurrently and the older commit last. The events of one
aggregate (the envelope's ``subject``) are therefore handled one at a time: within a process by a keyed
asyncio lock shared by every consumer of the database (FIFO, so in stream order), and across replicas
on PostgreSQL by a transaction-scoped advisory lock on the aggregate taken before the inbox row (on
SQLite the inbox INSERT takes the database's single write lock, which serialises the transactions).
A consumer whose events write a row that another aggregate's events write too is given that row's key instead
(``key``): notification's copy of a declaration is written by its forms' events and by its own, so the forms'
events are handled under the declaration's id and never interleave with the declaration's.
Read models still compare ``aggregate_version`` (``afas_shared.read_models.versioned``): a stale event
is a counted no-op (``afas_events_stale_total{consumer}``, outcome ``stale``).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import weakref
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from nats.aio.msg import Msg
from prometheus_client import Counter
from pydantic import ValidationError
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.registry import parse
from afas_shared.db.engine import Database
from afas_shared.messaging import context
from afas_shared.messaging.tables import DeadLetter, InboxRecord
from afas_shared.messaging.unit_of_work import UnitOfWork, unit_of_work
from afas_shared.read_models import versioned

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, Envelope[Any]], Awaitable[None]]
# Which aggregate an event is handled under (one at a time per key): the envelope's subject unless told.
AggregateKey = Callable[[Envelope[Any]], str]

CONSUMED = Counter("afas_events_consumed_total", "Events handled by consumers", ["consumer", "outcome"])
STALE = Counter(
    "afas_events_stale_total", "Events older than what the read model holds: applied as no-ops", ["consumer"]
)


class AggregateLocks:
    """One asyncio lock per aggregate being handled, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        lock = lock or asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    def __len__(self) -> int:
        return len(self._locks)

    def __contains__(self, key: object) -> bool:
        """Whether someone holds or waits for ``key``'s lock."""
        return key in self._locks


# Every consumer of one database shares its locks (several consumers feed the same read model).
_LOCKS: weakref.WeakKeyDictionary[Database, AggregateLocks] = weakref.WeakKeyDictionary()


def aggregate_locks(db: Database) -> AggregateLocks:
    return _LOCKS.setdefault(db, AggregateLocks())


def advisory_key(aggregate: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_xact_lock`` (the one-bigint key space; migrations use two ints)."""
    return int.from_bytes(
        hashlib.blake2b(f"afas-aggregate:{aggregate}".encode(), digest_size=8).digest(), "big", signed=True
    )


class IdempotentConsumer:
    def __init__(
        self,
        name: str,
        contract_subject: str,
        handler: Handler,
        db: Database,
        *,
        max_deliver: int,
        backoff: Sequence[float],
        after_commit: Callable[[], None] | None = None,
        key: AggregateKey | None = None,
    ) -> None:
        self.name = name
        self.contract_subject = contract_subject
        self.handler = handler
        self.db = db
        self.max_deliver = max_deliver
        self.backoff = list(backoff) or [1.0]
        self.after_commit = after_commit
        self.locks = aggregate_locks(db)
        self.key: AggregateKey = key or (lambda envelope: envelope.subject)

    async def handle(self, msg: Msg) -> str:
        """Handle one JetStream message and settle it; returns the outcome (for metrics and tests)."""
        delivered = msg.metadata.num_delivered if msg.metadata else 1
        try:
            envelope = parse(self.contract_subject, msg.data)
        except (ValidationError, ValueError) as exc:
            log.error("%s: unparseable message on %s dead-lettered: %s", self.name, msg.subject, exc)
            await self._dead_letter(msg, None, f"message does not match {self.contract_subject}: {exc}", delivered)
            await msg.term()
            return self._count("poison")
        try:
            outcome = await self.process(envelope)
        except Exception as exc:
            if delivered >= self.max_deliver:
                log.error("%s: event %s failed %d times, dead-lettered: %s", self.name, envelope.id, delivered, exc)
                await self._dead_letter(msg, str(envelope.id), repr(exc), delivered)
                await msg.term()
                return self._count("dead_lettered")
            delay = self.backoff[min(delivered - 1, len(self.backoff) - 1)]
            log.warning(
                "%s: event %s failed (attempt %d), retry in %.1fs: %s", self.name, envelope.id, delivered, delay, exc
            )
            await msg.nak(delay=delay)
            return self._count("retried")
        # Acked only after commit: a crash before this line means a redelivery the inbox absorbs.
        await msg.ack()
        return self._count(outcome)

    async def process(self, envelope: Envelope[Any]) -> str:
        """The work for one event, in one transaction, after the aggregate's earlier events: ``handled``,
        ``stale`` (a counted no-op) or ``duplicate``; raises when the handler fails (nothing committed).
        Also how an operator replays a dead letter to this consumer alone (``dead_letters.replay``)."""
        tokens = (
            context.correlation_id.set(envelope.correlation_id),
            context.causation_id.set(str(envelope.id)),
        )
        aggregate = self.key(envelope)
        stale, stale_token = versioned.watch_stale()
        try:
            async with self.locks.hold(aggregate), unit_of_work(self.db, self.after_commit) as uow:
                if self.db.backend == "postgresql":  # other replicas wait for this aggregate until commit
                    await uow.session.execute(
                        sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": advisory_key(aggregate)}
                    )
                if not await self._record_in_inbox(uow, envelope):
                    return "duplicate"
                await self.handler(uow, envelope)
                return "stale" if stale[0] else "handled"
        finally:
            versioned.reset_stale(stale_token)
            context.correlation_id.reset(tokens[0])
            context.causation_id.reset(tokens[1])

    def _count(self, outcome: str) -> str:
        CONSUMED.labels(self.name, outcome).inc()
        if outcome == "stale":
            STALE.labels(self.name).inc()
        return outcome

    async def _record_in_inbox(self, uow: UnitOfWork, envelope: Envelope[Any]) -> bool:
        values = {"consumer": self.name, "event_id": str(envelope.id), "subject": envelope.type}
        dialect = postgresql if self.db.backend == "postgresql" else sqlite
        # RETURNING, not rowcount: drivers disagree on rowcount for ON CONFLICT DO NOTHING.
        stmt = dialect.insert(InboxRecord).values(**values).on_conflict_do_nothing().returning(InboxRecord.event_id)
        return (await uow.session.execute(stmt)).first() is not None

    async def _dead_letter(self, msg: Msg, event_id: str | None, error: str, delivered: int) -> None:
        async with self.db.transaction() as session:
            session.add(
                DeadLetter(
                    consumer=self.name,
                    subject=self.contract_subject,
                    event_id=event_id,
                    payload=msg.data.decode(errors="replace"),
                    headers=json.dumps(dict(msg.headers or {})),
                    error=error[:4000],
                    deliveries=delivered,
                )
            )


async def handled_count(db: Database, consumer: str) -> int:
    async with db.sessions() as session:
        return (
            await session.execute(
                sa.select(sa.func.count()).select_from(InboxRecord).where(col(InboxRecord.consumer) == consumer)
            )
        ).scalar_one()
