"""Inspect and replay dead letters: what an operator does once the cause of a failure is fixed.

Replay republishes the original message on its subject with a fresh ``Nats-Msg-Id`` (the original
id would be dropped inside the duplicate window); the envelope keeps its event id, so consumers
that had already handled it skip it through their inbox and only the failed one does the work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import sqlalchemy as sa
from nats.js import JetStreamContext

from afas_shared.db.engine import Database
from afas_shared.messaging.naming import BusNames
from afas_shared.messaging.tables import DeadLetter, utcnow


@dataclass(frozen=True)
class DeadLetterView:
    id: int
    consumer: str
    subject: str
    event_id: str | None
    deliveries: int
    failed_at: str
    replayed_at: str | None
    error: str


async def list_dead_letters(db: Database, *, include_replayed: bool = False) -> list[DeadLetterView]:
    query = sa.select(DeadLetter).order_by(DeadLetter.id)
    if not include_replayed:
        query = query.where(DeadLetter.replayed_at.is_(None))
    async with db.sessions() as session:
        rows = (await session.execute(query)).scalars().all()
    return [
        DeadLetterView(
            r.id,
            r.consumer,
            r.subject,
            r.event_id,
            r.deliveries,
            r.failed_at.isoformat(),
            r.replayed_at.isoformat() if r.replayed_at else None,
            r.error,
        )
        for r in rows
    ]


class NothingToReplay(LookupError):
    pass


async def replay(db: Database, js: JetStreamContext, names: BusNames, dead_letter_id: int) -> str:
    """Republish one dead letter and mark it replayed; returns the subject it went to."""
    async with db.transaction() as session:
        row = await session.get(DeadLetter, dead_letter_id, with_for_update=db.backend == "postgresql")
        if row is None:
            raise NothingToReplay(f"no dead letter with id {dead_letter_id}")
        if row.replayed_at is not None:
            raise NothingToReplay(f"dead letter {dead_letter_id} was already replayed at {row.replayed_at}")
        headers = {k: v for k, v in json.loads(row.headers).items() if not k.lower().startswith("nats-")}
        headers["Nats-Msg-Id"] = f"{row.event_id or 'unparsed'}:replay:{row.id}"
        headers["Afas-Replay-Of"] = str(row.id)
        subject = names.subject(row.subject)
        await js.publish(subject, row.payload.encode(), headers=headers)
        row.replayed_at = utcnow()
    return subject
