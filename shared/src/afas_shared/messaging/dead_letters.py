"""The operator's dead-letter desk: list, replay to the one consumer that failed, discard; every action audited.

Replay re-runs the stored message through **that consumer's own handling** (``IdempotentConsumer.process``:
parse with its contract, the aggregate's lock, inbox row, handler, outgoing events, one transaction) in the
operator's process, against the service's database. Nothing is published: the other consumers of the event,
which handled it long ago, see nothing; the stream gets no second copy; no NATS right is needed. Events the
handler queues leave through the service's outbox, picked up by its running relay. A replay that fails
again leaves the dead letter waiting (and says why); one whose event the consumer has handled since
(``duplicate``) or that a newer version overtook (``stale``) is marked replayed too: nothing is left to do.

Every action — replayed, replay_failed, discarded (with its mandatory reason) — is a ``dead_letter_action``
row (who, when, which dead letter, what came of it, why) and a JSON audit log line.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass
from typing import Any, cast

import sqlalchemy as sa
from sqlmodel import col

from afas_shared.contracts.registry import parse
from afas_shared.db.engine import Database
from afas_shared.messaging.consumer import IdempotentConsumer
from afas_shared.messaging.tables import DeadLetter, DeadLetterAction, utcnow

log = logging.getLogger(__name__)
REPLAYED, REPLAY_FAILED, DISCARDED = "replayed", "replay_failed", "discarded"
READ = "read"  # listed by ``afas dead-letters list`` (``record_reads``)


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
    state: str = "waiting"  # waiting, replayed or discarded
    discarded_at: str | None = None
    discard_reason: str | None = None

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ActionView:
    id: int
    dead_letter_id: int
    action: str
    actor: str
    reason: str | None
    outcome: str | None
    at: str


async def list_dead_letters(db: Database, *, include_replayed: bool = False) -> list[DeadLetterView]:
    """Waiting dead letters (with ``include_replayed``, the replayed and discarded ones too), oldest first."""
    discards = (
        sa.select(col(DeadLetterAction.dead_letter_id), sa.func.max(col(DeadLetterAction.id)).label("action_id"))
        .where(col(DeadLetterAction.action) == DISCARDED)
        .group_by(col(DeadLetterAction.dead_letter_id))
        .subquery()
    )
    query = (
        sa.select(DeadLetter, DeadLetterAction)
        .outerjoin(discards, discards.c.dead_letter_id == col(DeadLetter.id))
        .outerjoin(DeadLetterAction, col(DeadLetterAction.id) == discards.c.action_id)
        .order_by(col(DeadLetter.id))
    )
    if not include_replayed:
        query = query.where(col(DeadLetter.replayed_at).is_(None), discards.c.action_id.is_(None))
    async with db.sessions() as session:
        rows = (await session.execute(query)).all()
    return [
        DeadLetterView(
            cast(int, r.id),  # a stored row has its id
            r.consumer,
            r.subject,
            r.event_id,
            r.deliveries,
            r.failed_at.isoformat(),
            r.replayed_at.isoformat() if r.replayed_at else None,
            r.error,
            state=DISCARDED if discard else REPLAYED if r.replayed_at else "waiting",
            discarded_at=discard.at.isoformat() if discard else None,
            discard_reason=discard.reason if discard else None,
        )
        for r, discard in rows
    ]


async def actions(db: Database, dead_letter_id: int | None = None) -> list[ActionView]:
    """The desk's audit trail, oldest first."""
    query = sa.select(DeadLetterAction).order_by(col(DeadLetterAction.id))
    if dead_letter_id is not None:
        query = query.where(col(DeadLetterAction.dead_letter_id) == dead_letter_id)
    async with db.sessions() as session:
        rows = (await session.execute(query)).scalars().all()
    return [
        ActionView(cast(int, a.id), a.dead_letter_id, a.action, a.actor, a.reason, a.outcome, a.at.isoformat())
        for a in rows
    ]


class NothingToReplay(LookupError):
    pass


class ReplayFailed(RuntimeError):
    pass


async def _waiting(session, dead_letter_id: int, postgres: bool) -> DeadLetter:
    row = await session.get(DeadLetter, dead_letter_id, with_for_update=postgres)
    if row is None:
        raise NothingToReplay(f"no dead letter with id {dead_letter_id}")
    if row.replayed_at is not None:
        raise NothingToReplay(f"dead letter {dead_letter_id} was already replayed at {row.replayed_at.isoformat()}")
    discarded = await session.scalar(
        sa.select(col(DeadLetterAction.at)).where(
            col(DeadLetterAction.dead_letter_id) == dead_letter_id, col(DeadLetterAction.action) == DISCARDED
        )
    )
    if discarded is not None:
        raise NothingToReplay(f"dead letter {dead_letter_id} was discarded at {discarded.isoformat()}")
    return row


def _audit(session, row: DeadLetter, action: str, actor: str, reason: str | None, outcome: str | None) -> None:
    entry = DeadLetterAction(
        dead_letter_id=cast(int, row.id), action=action, actor=actor, reason=reason, outcome=outcome, at=utcnow()
    )
    session.add(entry)
    log.info(
        "dead letter %s %s by %s",
        row.id,
        action,
        actor,
        extra={
            "audit": {
                "event": f"dead_letter_{action}",
                "dead_letter_id": row.id,
                "consumer": row.consumer,
                "subject": row.subject,
                "event_id": row.event_id,
                "actor": actor,
                "reason": reason,
                "outcome": outcome,
                "at": entry.at.isoformat(),
            }
        },
    )


async def replay(
    db: Database,
    consumers: dict[str, IdempotentConsumer],
    dead_letter_id: int,
    *,
    actor: str,
    reason: str | None = None,
) -> str:
    """Run one dead letter through the consumer that failed it, and only that one; returns its outcome.

    ``consumers`` maps durable names to the service's consumers (built from its bootstrap, never started).
    Raises :class:`NothingToReplay` (unknown, replayed or discarded) or :class:`ReplayFailed` (it failed again:
    the dead letter stays waiting, the failure is audited).
    """
    if db.backend == "postgresql":
        # The row stays locked while the consumer runs: a second operator's replay of it waits, then finds it done.
        async with db.transaction() as session:
            row = await _waiting(session, dead_letter_id, True)
            outcome, failure = await _run(consumers, row)
            _record(session, row, actor, reason, outcome, failure)
    else:
        # SQLite has one writer, which a unit of work takes at its start: held across the consumer's own unit of work,
        # it would wait for itself. So the letter is read, run, then marked; a second replay of the same letter in
        # between meets the consumer's inbox (a duplicate, no second effect) and finds it already marked.
        async with db.sessions() as session:
            row = await _waiting(session, dead_letter_id, False)
        outcome, failure = await _run(consumers, row)
        async with db.transaction() as session:
            row = await _waiting(session, dead_letter_id, False)
            _record(session, row, actor, reason, outcome, failure)
    if failure is not None:
        raise failure
    return outcome


async def _run(consumers: dict[str, IdempotentConsumer], row: DeadLetter) -> tuple[str, ReplayFailed | None]:
    """The letter through the consumer that failed it, in the consumer's own transaction: (outcome, failure)."""
    consumer = consumers.get(row.consumer)
    if consumer is None:
        raise NothingToReplay(f"dead letter {row.id}: this service has no consumer {row.consumer!r} now")
    try:
        # The stored headers: a traced replay continues the trace of the request that wrote the event
        return await consumer.process(parse(consumer.contract_subject, row.payload), json.loads(row.headers)), None
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:4000]
        return error, ReplayFailed(f"dead letter {row.id} failed again in {row.consumer}: {error}")


def _record(
    session, row: DeadLetter, actor: str, reason: str | None, outcome: str, failure: ReplayFailed | None
) -> None:
    if failure is not None:
        _audit(session, row, REPLAY_FAILED, actor, reason, outcome)
    else:
        row.replayed_at = utcnow()
        _audit(session, row, REPLAYED, actor, reason, outcome)


async def record_reads(db: Database, letters: list[DeadLetterView], actor: str) -> None:
    """The desk's trail of who was shown which letters (their events may carry personal data): one ``read`` row per
    letter listed, in one transaction."""
    if letters:
        async with db.transaction() as session:
            session.add_all(DeadLetterAction(dead_letter_id=d.id, action=READ, actor=actor) for d in letters)


async def discard(db: Database, dead_letter_id: int, *, actor: str, reason: str) -> None:
    """Give up on one dead letter, with the reason (mandatory); it leaves the waiting list, audited."""
    if not reason or not reason.strip():
        raise ValueError("a discard needs a reason")
    async with db.transaction() as session:
        row = await _waiting(session, dead_letter_id, db.backend == "postgresql")
        _audit(session, row, DISCARDED, actor, reason.strip(), None)


def render_json(letters: list[DeadLetterView]) -> str:
    return json.dumps([d.as_json() for d in letters], ensure_ascii=False, indent=2)
