"""Unit of work: the state change and its outgoing events commit in one transaction."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from opentelemetry import propagate
from sqlalchemy.ext.asyncio import AsyncSession

from afas_shared.contracts.envelope import Envelope, EventData
from afas_shared.db.engine import Database
from afas_shared.messaging import context
from afas_shared.messaging.tables import OutboxRecord


class UnitOfWork:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.published: list[Envelope[Any]] = []

    def publish(self, data: EventData, *, subject: str, aggregate_version: int) -> Envelope[Any]:
        """Queue an event in the outbox; it leaves only if the surrounding transaction commits."""
        envelope = Envelope.wrap(
            data,
            subject=subject,
            aggregate_version=aggregate_version,
            correlation_id=context.current_correlation_id(),
            causation_id=context.causation_id.get(),
        )
        headers: dict[str, str] = {context.CORRELATION_HEADER: envelope.correlation_id}
        propagate.inject(headers)  # the trace continues in whoever consumes the event
        self.session.add(
            OutboxRecord(
                event_id=str(envelope.id),
                subject=envelope.type,
                payload=envelope.model_dump_json(),
                headers=json.dumps(headers),
            )
        )
        self.published.append(envelope)
        return envelope


@asynccontextmanager
async def unit_of_work(db: Database, after_commit: Callable[[], None] | None = None) -> AsyncIterator[UnitOfWork]:
    async with db.transaction() as session:
        uow = UnitOfWork(session)
        yield uow
    if uow.published and after_commit is not None:
        after_commit()
