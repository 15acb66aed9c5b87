"""Per-aggregate ordering: one aggregate's versions delivered out of order, in one batch, to one or two replicas.

Without per-aggregate serialisation a read model's read-compare-write interleaves and an older version commits last
(issue 15, seen on PostgreSQL): a batch applies its messages in stream order under every aggregate's lock (issue 16),
the former path (a batch size of 1) handles a fetch's messages concurrently under the same locks.
"""

from __future__ import annotations

import asyncio
import random
import uuid

import pytest
import sqlalchemy as sa
from prometheus_client import REGISTRY
from sqlmodel import Field, SQLModel

from afas_shared.contracts.events.identity import UserCreatedV1
from afas_shared.messaging.naming import BusNames
from afas_shared.messaging.tables import InboxRecord
from afas_shared.messaging.unit_of_work import unit_of_work
from afas_shared.read_models.versioned import apply_versioned, stale
from afas_shared.testing.fixtures import eventually

VERSIONS = 40
DURABLE = BusNames.durable("probe", UserCreatedV1.subject())


class ProbeVersioned(SQLModel, table=True):
    """A read model that keeps the last version of each aggregate and the value that came with it."""

    __tablename__ = "probe_versioned"
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=64)
    version: int


async def compare_then_write(uow, envelope) -> None:
    """The shape of most handlers: read, compare ``aggregate_version``, write (several awaits in between)."""
    row = await uow.session.get(ProbeVersioned, envelope.subject)
    await asyncio.sleep(0.01)  # the work between (estimation resolves a barème and computes, notification plans)
    if row is None:
        uow.session.add(
            ProbeVersioned(key=envelope.subject, value=envelope.data.first_name, version=envelope.aggregate_version)
        )
    elif row.version >= envelope.aggregate_version:
        stale()
    else:
        row.value, row.version = envelope.data.first_name, envelope.aggregate_version
    await uow.session.flush()


async def conditional_upsert(uow, envelope) -> None:
    values = {"key": envelope.subject, "value": envelope.data.first_name}
    await apply_versioned(uow.session, ProbeVersioned, envelope.subject, envelope.aggregate_version, values)


def stale_count() -> float:
    return REGISTRY.get_sample_value("afas_events_stale_total", {"consumer": DURABLE}) or 0.0


def outcome_count(outcome: str) -> float:
    labels = {"consumer": DURABLE, "outcome": outcome}
    return REGISTRY.get_sample_value("afas_events_consumed_total", labels) or 0.0


async def queue_out_of_order(p, aggregate: str, order: list[int]) -> None:
    async with unit_of_work(p.db) as uow:
        for version in order:
            event = UserCreatedV1(
                user_id=uuid.UUID(aggregate),
                identifier="100000001",
                last_name="Ordre",
                first_name=f"v{version}",
                email="ordre@example.org",
            )
            uow.publish(event, subject=aggregate, aggregate_version=version)


async def held(p, aggregate: str) -> ProbeVersioned | None:
    async with p.db.sessions() as session:
        return await session.get(ProbeVersioned, aggregate)


async def create_read_model(p, *aggregates: str) -> None:
    """The table, holding each aggregate at version 0 (it existed before the backlog)."""
    async with p.db.engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all, tables=[ProbeVersioned.__table__])
    async with p.db.transaction() as session:
        session.add_all(ProbeVersioned(key=a, value="v0", version=0) for a in aggregates)


async def inbox_count(p) -> int:
    async with p.db.sessions() as session:
        query = sa.select(sa.func.count()).select_from(InboxRecord).where(InboxRecord.consumer == DURABLE)
        return (await session.execute(query)).scalar_one()


@pytest.mark.parametrize("handler", [compare_then_write, conditional_upsert], ids=["compare-then-write", "upsert"])
async def test_versions_delivered_out_of_order_in_one_batch_end_at_the_latest(probe, handler):
    # Relay held back until every version is queued, so the consumer fetches them in one batch of 50.
    p = await probe(handler=handler, relay=False)
    aggregate = str(uuid.uuid4())
    await create_read_model(p, aggregate)
    order = list(range(1, VERSIONS + 1))
    random.Random(15).shuffle(order)
    stale_before, applied_before = stale_count(), outcome_count("handled")
    await queue_out_of_order(p, aggregate, order)
    p.relay.start()

    await eventually(lambda: _all_handled(p), timeout=60)
    row = await held(p, aggregate)
    assert (row.version, row.value) == (VERSIONS, f"v{VERSIONS}")
    # Each version older than one already applied was a counted no-op, never an overwrite.
    stale, applied = stale_count() - stale_before, outcome_count("handled") - applied_before
    assert stale > 0
    assert stale + applied == VERSIONS == p.calls
    assert outcome_count("stale") >= stale


async def test_two_replicas_sharing_one_durable_keep_the_latest_version(probe, probe_settings):
    """Two processes (each its own engine and in-process locks) split the batch: the database lock orders them."""
    first = await probe(handler=compare_then_write, relay=False)
    aggregates = [str(uuid.uuid4()) for _ in range(3)]
    await create_read_model(first, *aggregates)
    second = await probe(handler=compare_then_write, relay=False, database_url=first.settings.database_url)
    rng = random.Random(1515)
    for aggregate in aggregates:
        order = list(range(1, VERSIONS + 1))
        rng.shuffle(order)
        await queue_out_of_order(first, aggregate, order)
    first.relay.start()

    await eventually(lambda: _all_handled(first, expected=3 * VERSIONS), timeout=90)
    assert first.calls > 0 and second.calls > 0, "both replicas took part"
    for aggregate in aggregates:
        row = await held(first, aggregate)
        assert (row.version, row.value) == (VERSIONS, f"v{VERSIONS}")


async def _all_handled(p, expected: int = VERSIONS) -> bool:
    if await inbox_count(p) < expected:
        return False
    info = await p.bus.js.consumer_info(p.bus.names.stream("identity"), DURABLE)
    return info.num_pending == 0 and info.num_ack_pending == 0
