"""Idempotent consumer: inbox row, the work and its outgoing events in one transaction; ack after.

A failure is retried with backoff (``nak`` with a delay); after ``max_deliver`` attempts, or at
once for a message that cannot even be parsed, it is written to ``dead_letter`` and terminated,
so one poison message never blocks the stream.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import sqlalchemy as sa
from nats.aio.msg import Msg
from prometheus_client import Counter
from pydantic import ValidationError
from sqlalchemy.dialects import postgresql, sqlite

from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.registry import parse
from afas_shared.db.engine import Database
from afas_shared.messaging import context
from afas_shared.messaging.tables import DeadLetter, InboxRecord
from afas_shared.messaging.unit_of_work import UnitOfWork, unit_of_work

log = logging.getLogger(__name__)

Handler = Callable[[UnitOfWork, Envelope[Any]], Awaitable[None]]

CONSUMED = Counter("afas_events_consumed_total", "Events handled by consumers", ["consumer", "outcome"])


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
    ) -> None:
        self.name = name
        self.contract_subject = contract_subject
        self.handler = handler
        self.db = db
        self.max_deliver = max_deliver
        self.backoff = list(backoff) or [1.0]
        self.after_commit = after_commit

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
        tokens = (
            context.correlation_id.set(envelope.correlation_id),
            context.causation_id.set(str(envelope.id)),
        )
        try:
            async with unit_of_work(self.db, self.after_commit) as uow:
                if await self._record_in_inbox(uow, envelope):
                    await self.handler(uow, envelope)
                    outcome = "handled"
                else:
                    outcome = "duplicate"
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
        finally:
            context.correlation_id.reset(tokens[0])
            context.causation_id.reset(tokens[1])
        # Acked only after commit: a crash before this line means a redelivery the inbox absorbs.
        await msg.ack()
        return self._count(outcome)

    def _count(self, outcome: str) -> str:
        CONSUMED.labels(self.name, outcome).inc()
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
                sa.select(sa.func.count()).select_from(InboxRecord).where(InboxRecord.consumer == consumer)
            )
        ).scalar_one()
