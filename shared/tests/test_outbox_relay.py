"""The outbox never loses an event and never publishes one twice into the stream."""

from __future__ import annotations

import nats
import sqlalchemy as sa

from afas_shared.messaging.tables import OutboxRecord
from afas_shared.testing.fixtures import eventually


async def test_event_committed_while_relay_is_dead_is_published_when_it_restarts(probe):
    p = await probe(consume=False, relay=False)
    await p.emit(3)
    assert await p.stream_messages() == 0  # committed, but nobody relayed it yet

    p.relay.start()
    await eventually(lambda: p.stream_messages(), timeout=10)
    await eventually(lambda: _all_sent(p), timeout=10)
    assert await p.stream_messages() == 3


async def _all_sent(p) -> bool:
    async with p.db.sessions() as session:
        unsent = await session.execute(
            sa.select(sa.func.count()).select_from(OutboxRecord).where(OutboxRecord.sent_at.is_(None))
        )
        return unsent.scalar_one() == 0


async def test_relay_picks_up_after_a_crash_between_publish_and_marking_sent(probe):
    """A crash after the broker acked but before the row was marked: republished, deduplicated."""
    p = await probe(consume=False, relay=False)
    await p.emit(5)
    assert await p.relay.publish_batch() == 5
    async with p.db.transaction() as session:  # as if the 'sent' update had never committed
        await session.execute(sa.update(OutboxRecord).values(sent_at=None))
    assert await p.relay.publish_batch() == 5
    assert await p.stream_messages() == 5


async def test_duplicate_publish_of_the_same_event_id_is_dropped_by_jetstream(probe, backends):
    p = await probe(consume=False, relay=False)
    nc = await nats.connect(backends.nats_url)
    try:
        js = nc.jetstream()
        subject = p.bus.names.subject("identity.user_created.v1")
        first = await js.publish(subject, b"{}", headers={"Nats-Msg-Id": "same-event-id"})
        second = await js.publish(subject, b"{}", headers={"Nats-Msg-Id": "same-event-id"})
    finally:
        await nc.close()
    assert not first.duplicate
    assert second.duplicate
    assert second.seq == first.seq
    assert await p.stream_messages() == 1


async def test_relay_wakes_on_commit_without_waiting_for_its_poll(probe):
    p = await probe(consume=False, outbox_poll_seconds=30.0)
    p.relay.poll_seconds = 30.0  # only the after-commit wake-up can publish within the test
    await p.emit(1)
    await eventually(lambda: p.stream_messages(), timeout=3)


async def test_sent_rows_are_purged_after_the_retention_period_and_unsent_never(probe):
    from datetime import timedelta

    from afas_shared.messaging.relay import SENT_RETENTION
    from afas_shared.messaging.tables import utcnow

    p = await probe(consume=False, relay=False)
    await p.emit(3)
    assert await p.relay.publish_batch() == 3
    await p.emit(1)  # stays unsent: the broker never saw it
    async with p.db.transaction() as session:
        await session.execute(
            sa.update(OutboxRecord)
            .where(OutboxRecord.seq.in_([1, 2, 4]))
            .values(created_at=utcnow() - SENT_RETENTION - timedelta(days=1))
        )
        await session.execute(
            sa.update(OutboxRecord)
            .where(OutboxRecord.seq.in_([1, 2]))
            .values(sent_at=utcnow() - SENT_RETENTION - timedelta(minutes=1))
        )
    assert await p.relay.purge_sent() == 2
    async with p.db.sessions() as session:
        left = (await session.execute(sa.select(OutboxRecord.seq).order_by(OutboxRecord.seq))).scalars().all()
    assert left == [3, 4]
