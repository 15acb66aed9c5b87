"""Idempotent consumer: inbox rows, the work and its outgoing events in one transaction; ack after.

Messages come in batches (a JetStream pull of up to ``CONSUMER_BATCH_SIZE``): a batch is applied in one
transaction — its inbox rows by one INSERT (a repeated event, in an earlier batch or in this one, is skipped), every
handler in stream order in the same unit of work, one commit — then every message is acked. Acked only after
the commit: a crash before the acks means a redelivery the inbox absorbs. When anything in the batch fails, the
whole transaction rolls back and the batch is applied again one transaction per message, so only the failing
message is retried with backoff (``nak`` with a delay); after ``max_deliver`` attempts, or at once for a message
that cannot even be parsed, it is written to ``dead_letter`` and terminated, so one poison message never blocks
the stream and the rest of its batch still applies. A handler may offer a set-based form of its work
(``with_batch``: ``apply_batch`` over all the batch's new events of its type, e.g. one multi-row upsert).
A batch size of 1 keeps the former path: each message of a fetch (50) in its own transaction, concurrently.

Per-aggregate ordering: two events of one aggregate must never be applied concurrently, or the older could commit
last. A batch applies its messages in stream order, one after the other; and it holds, until its commit, the lock
of every aggregate it touches (the envelope's ``subject``; ``afas_shared.messaging.aggregate_locks``): within a
process a keyed asyncio lock shared by every consumer of the database, across replicas on PostgreSQL a
transaction-scoped advisory lock taken before the inbox rows (on SQLite the unit of work takes the database's
single write lock, which serialises the transactions). Every holder takes its locks in one order, so batches wait
for each other and never deadlock. The next batch of a consumer is fetched only once this one is settled.
A consumer whose events write a row that another aggregate's events write too is given that row's key instead
(``key``): notification's copy of a declaration is written by its forms' events and by its own, so the forms'
events are handled under the declaration's id and never interleave with the declaration's.
Read models still compare ``aggregate_version`` (``afas_shared.read_models.versioned``): a stale event
is a counted no-op (``afas_events_stale_total{consumer}``, outcome ``stale``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from nats.aio.msg import Msg
from opentelemetry.trace import Tracer
from prometheus_client import Counter
from pydantic import ValidationError
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import col

from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.registry import parse
from afas_shared.db.engine import Database
from afas_shared.messaging import context
from afas_shared.messaging.aggregate_locks import AggregateLocks, advisory_key, aggregate_locks, lock_in_database
from afas_shared.messaging.tables import DeadLetter, InboxRecord, utcnow
from afas_shared.messaging.unit_of_work import UnitOfWork, unit_of_work
from afas_shared.read_models import versioned
from afas_shared.telemetry.event_trace import batch_span, event_span

__all__ = ["AggregateLocks", "IdempotentConsumer", "advisory_key", "aggregate_locks", "handled_count", "with_batch"]

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, Envelope[Any]], Awaitable[None]]
# The set-based form of a handler: the batch's new events of its type, in stream order, in the batch's unit of work;
# for each event whether it was applied (False: stale, a counted no-op). Several may be one aggregate's.
BatchHandler = Callable[[UnitOfWork, Sequence[Envelope[Any]]], Awaitable[Sequence[bool]]]
# Which aggregate an event is handled under (one at a time per key): the envelope's subject unless told.
AggregateKey = Callable[[Envelope[Any]], str]

CONSUMED = Counter("afas_events_consumed_total", "Events handled by consumers", ["consumer", "outcome"])
STALE = Counter(
    "afas_events_stale_total", "Events older than what the read model holds: applied as no-ops", ["consumer"]
)
BATCHES = Counter(
    "afas_consumer_batches_total",
    "Batches of messages applied: in one transaction (together), or one transaction per message after a failure",
    ["consumer", "mode"],
)


class BatchCapable:
    """A handler that also has a set-based form (``apply_batch``), used when a batch holds its events."""

    def __init__(self, handler: Handler, apply_batch: BatchHandler) -> None:
        self.handler = handler
        self.apply_batch = apply_batch

    async def __call__(self, uow: UnitOfWork, envelope: Envelope[Any]) -> None:
        await self.handler(uow, envelope)


def with_batch(handler: Handler, apply_batch: BatchHandler) -> Handler:
    """``handler`` for one event (dead-letter replays, the per-message fallback), ``apply_batch`` for a batch."""
    return BatchCapable(handler, apply_batch)


def batch_form(handler: Handler) -> BatchHandler | None:
    return handler.apply_batch if isinstance(handler, BatchCapable) else None


@contextmanager
def event_context(envelope: Envelope[Any]) -> Iterator[None]:
    """While handling ``envelope``: the events it publishes carry its correlation id and name it as their cause."""
    tokens = (
        context.correlation_id.set(envelope.correlation_id),
        context.causation_id.set(str(envelope.id)),
    )
    try:
        yield
    finally:
        context.correlation_id.reset(tokens[0])
        context.causation_id.reset(tokens[1])


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
        tracer: Tracer | None = None,
    ) -> None:
        self.name = name
        self.tracer = tracer  # the runtime's, when its spans go somewhere: a span per event applied
        self.contract_subject = contract_subject
        self.handler = handler
        self.apply_batch = batch_form(handler)
        self.db = db
        self.max_deliver = max_deliver
        self.backoff = list(backoff) or [1.0]
        self.after_commit = after_commit
        self.locks = aggregate_locks(db)
        self.key: AggregateKey = key or (lambda envelope: envelope.subject)

    async def handle(self, msg: Msg) -> str:
        """Handle one JetStream message and settle it; returns the outcome (for metrics and tests)."""
        envelope = await self._parse(msg)
        return self._count("poison") if envelope is None else await self._settle(msg, envelope)

    async def handle_batch(self, msgs: Sequence[Msg]) -> list[str]:
        """Handle a fetched batch in one transaction and settle every message; the outcomes, in the batch's order
        (an unparseable message is dead-lettered first, the rest still applies). When the transaction fails, each
        message is handled again in its own, so only the failing one is retried or dead-lettered."""
        outcomes: dict[int, str] = {}
        parsed: list[tuple[int, Msg, Envelope[Any]]] = []
        for i, msg in enumerate(msgs):
            envelope = await self._parse(msg)
            if envelope is None:
                outcomes[i] = self._count("poison")
            else:
                parsed.append((i, msg, envelope))
        if len(parsed) > 1:
            try:
                applied = await self.process_batch([e for _, _, e in parsed], [m.headers for _, m, _ in parsed])
            except Exception as exc:
                log.warning(
                    "%s: batch of %d failed, applied again one message per transaction: %r", self.name, len(parsed), exc
                )
                BATCHES.labels(self.name, "one_by_one").inc()
            else:
                BATCHES.labels(self.name, "together").inc()
                # Acked only after commit: a crash before these lines means redeliveries the inbox absorbs.
                for (i, msg, _), outcome in zip(parsed, applied, strict=True):
                    await msg.ack()
                    outcomes[i] = self._count(outcome)
                return [outcomes[i] for i in range(len(msgs))]
        for i, msg, envelope in parsed:  # in stream order: one aggregate's events still one after the other
            outcomes[i] = await self._settle(msg, envelope)
        return [outcomes[i] for i in range(len(msgs))]

    async def _parse(self, msg: Msg) -> Envelope[Any] | None:
        """The envelope; None for a message that does not match the contract, dead-lettered and terminated at once."""
        try:
            return parse(self.contract_subject, msg.data)
        except (ValidationError, ValueError) as exc:
            log.error("%s: unparseable message on %s dead-lettered: %s", self.name, msg.subject, exc)
            delivered = msg.metadata.num_delivered if msg.metadata else 1
            await self._dead_letter(msg, None, f"message does not match {self.contract_subject}: {exc}", delivered)
            await msg.term()
            return None

    async def _settle(self, msg: Msg, envelope: Envelope[Any]) -> str:
        """One message in its own transaction; acked after commit, retried with backoff, dead-lettered at last."""
        delivered = msg.metadata.num_delivered if msg.metadata else 1
        try:
            outcome = await self.process(envelope, msg.headers)
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

    async def process(self, envelope: Envelope[Any], headers: Mapping[str, str] | None = None) -> str:
        """The work for one event, in one transaction, after the aggregate's earlier events: ``handled``,
        ``stale`` (a counted no-op) or ``duplicate``; raises when the handler fails (nothing committed).
        Also how an operator replays a dead letter to this consumer alone (``dead_letters.replay``)."""
        return (await self.process_batch([envelope], [headers]))[0]

    async def process_batch(
        self, envelopes: Sequence[Envelope[Any]], headers: Sequence[Mapping[str, str] | None] = ()
    ) -> list[str]:
        """The work for several events in one transaction, in their order, after the earlier events of every
        aggregate they touch: each one's outcome (``handled``, ``stale`` or ``duplicate``); raises when any
        handler fails (nothing committed). ``headers``: the messages', whose trace each event's handling continues."""
        aggregates = {self.key(envelope) for envelope in envelopes}
        async with self.locks.hold_all(aggregates), unit_of_work(self.db, self.after_commit) as uow:
            if self.db.backend == "postgresql":  # other replicas wait for these aggregates until commit
                await lock_in_database(uow.session, aggregates)
            recorded = await self._record_in_inbox(uow, envelopes)
            outcomes = ["duplicate"] * len(envelopes)
            new: list[int] = []
            for i, envelope in enumerate(envelopes):
                if str(envelope.id) in recorded:
                    recorded.discard(str(envelope.id))  # a second copy within the batch is a duplicate
                    new.append(i)
            carriers = [headers[i] if i < len(headers) else None for i in range(len(envelopes))]
            if self.apply_batch is not None and len(new) > 1:
                with batch_span(self.tracer, self.name, [carriers[i] for i in new]):
                    applied = await self.apply_batch(uow, [envelopes[i] for i in new])
                for i, done in zip(new, applied, strict=True):
                    outcomes[i] = "handled" if done else "stale"
                return outcomes
            for i in new:
                outcomes[i] = await self._apply(uow, envelopes[i], carriers[i])
            return outcomes

    async def _apply(self, uow: UnitOfWork, envelope: Envelope[Any], headers: Mapping[str, str] | None) -> str:
        stale, stale_token = versioned.watch_stale()
        try:
            with event_context(envelope), event_span(self.tracer, self.name, envelope.type, headers):
                await self.handler(uow, envelope)
                # The next event of the batch reads what this one wrote (and an error surfaces as this event's)
                await uow.session.flush()
            return "stale" if stale[0] else "handled"
        finally:
            versioned.reset_stale(stale_token)

    def _count(self, outcome: str) -> str:
        CONSUMED.labels(self.name, outcome).inc()
        if outcome == "stale":
            STALE.labels(self.name).inc()
        return outcome

    async def _record_in_inbox(self, uow: UnitOfWork, envelopes: Sequence[Envelope[Any]]) -> set[str]:
        """One INSERT for the batch's inbox rows; the event ids not recorded before (the others are duplicates)."""
        now = utcnow()
        rows = {
            str(e.id): {"consumer": self.name, "event_id": str(e.id), "subject": e.type, "handled_at": now}
            for e in envelopes
        }
        dialect = postgresql if self.db.backend == "postgresql" else sqlite
        # RETURNING, not rowcount: drivers disagree on rowcount for ON CONFLICT DO NOTHING.
        insert = dialect.insert(InboxRecord).values(list(rows.values())).on_conflict_do_nothing()
        return set((await uow.session.execute(insert.returning(InboxRecord.event_id))).scalars())

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
