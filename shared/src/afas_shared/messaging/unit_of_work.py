"""Unit of work: the state change and its outgoing events commit in one transaction."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Any

import sqlalchemy as sa
from opentelemetry import propagate
from sqlalchemy.ext.asyncio import AsyncSession

from afas_shared.contracts.envelope import Envelope, EventData
from afas_shared.db.engine import Database
from afas_shared.messaging import context
from afas_shared.messaging.tables import OutboxRecord, utcnow


class UnitOfWork:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.published: list[Envelope[Any]] = []

    def publish(self, data: EventData, *, subject: str, aggregate_version: int) -> Envelope[Any]:
        """Queue an event in the outbox; it leaves only if the surrounding transaction commits."""
        envelope, row = self._outgoing(data, subject, aggregate_version, self._headers())
        self.session.add(OutboxRecord(**row))
        return envelope

    async def publish_all(self, events: Iterable[tuple[EventData, str, int]]) -> int:
        """Queue many ``(data, subject, aggregate_version)`` events with one multi-row INSERT: for batches, where
        building one ORM object per event costs more than the work that produced them. How many were queued."""
        headers = self._headers()
        rows = [self._outgoing(data, subject, version, headers)[1] for data, subject, version in events]
        if rows:
            await self.session.execute(sa.insert(OutboxRecord), rows)
        return len(rows)

    @staticmethod
    def _headers() -> str:
        headers: dict[str, str] = {context.CORRELATION_HEADER: context.current_correlation_id()}
        propagate.inject(headers)  # the trace continues in whoever consumes the event
        return json.dumps(headers)

    def _outgoing(
        self, data: EventData, subject: str, aggregate_version: int, headers: str
    ) -> tuple[Envelope[Any], dict[str, Any]]:
        envelope = Envelope.wrap(
            data,
            subject=subject,
            aggregate_version=aggregate_version,
            correlation_id=context.current_correlation_id(),
            causation_id=context.causation_id.get(),
        )
        self.published.append(envelope)
        row = {
            "event_id": str(envelope.id),
            "subject": envelope.type,
            "payload": envelope.model_dump_json(),
            "headers": headers,
            "created_at": utcnow(),
        }
        return envelope, row


@asynccontextmanager
async def unit_of_work(db: Database, after_commit: Callable[[], None] | None = None) -> AsyncIterator[UnitOfWork]:
    async with db.transaction() as session:
        uow = UnitOfWork(session)
        yield uow
    if uow.published and after_commit is not None:
        after_commit()
