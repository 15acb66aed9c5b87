"""What a service queued in its outbox, for tests that check the events a use case published."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from afas_shared.messaging.tables import OutboxRecord
from afas_shared.runtime import ServiceRuntime


async def queued(runtime: ServiceRuntime, subject: str) -> list[dict[str, Any]]:
    """The envelopes queued under ``subject`` (a contract subject, without prefix), oldest first."""
    async with runtime.db.sessions() as session:
        rows = await session.execute(
            sa.select(col(OutboxRecord.payload))
            .where(col(OutboxRecord.subject) == subject)
            .order_by(col(OutboxRecord.seq))
        )
        return [json.loads(payload) for payload in rows.scalars()]
