"""Many events into the outbox in one statement (a re-estimation batch announces up to hundreds at once).

Same rows as ``UnitOfWork.publish`` writes one ORM object at a time (envelope, correlation and trace headers),
inserted with a single multi-row INSERT: building 500 ORM objects costs more than computing 500 estimates.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime

import sqlalchemy as sa
from opentelemetry import propagate

from afas_shared.contracts.envelope import Envelope, EventData
from afas_shared.messaging import context
from afas_shared.messaging.tables import OutboxRecord
from afas_shared.messaging.unit_of_work import UnitOfWork


async def publish_all(uow: UnitOfWork, events: Iterable[tuple[EventData, str, int]]) -> int:
    """Queue ``(data, subject, aggregate_version)`` events in the outbox of ``uow``; how many were queued."""
    correlation_id = context.current_correlation_id()
    causation_id = context.causation_id.get()
    headers: dict[str, str] = {context.CORRELATION_HEADER: correlation_id}
    propagate.inject(headers)
    encoded_headers = json.dumps(headers)
    now = datetime.now(UTC)
    rows = []
    for data, subject, version in events:
        envelope = Envelope.wrap(
            data,
            subject=subject,
            aggregate_version=version,
            correlation_id=correlation_id,
            causation_id=causation_id,
        )
        rows.append(
            {
                "event_id": str(envelope.id),
                "subject": envelope.type,
                "payload": envelope.model_dump_json(),
                "headers": encoded_headers,
                "created_at": now,
            }
        )
        uow.published.append(envelope)
    if rows:
        await uow.session.execute(sa.insert(OutboxRecord), rows)
    return len(rows)
