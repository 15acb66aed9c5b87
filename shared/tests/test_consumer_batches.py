"""Batches: one transaction for a fetched batch, and every guarantee of the one-message path kept (issue 16).

The consumer is driven directly with fetched messages (no broker: a message records how it was settled), on the
test database: a batch commits once, a repeated event inside it is a duplicate, a failing message falls back to one
transaction per message so the rest still applies, one aggregate's versions end at the latest across batches, and
a batch committed but never acked (the process died) is a no-op when it comes again.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass, field
from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.habilitation import GrantEndedV1, GrantRejectedV1, GrantValidatedV1, RoleGrantedV1
from afas_shared.contracts.events.identity import UserCreatedV1
from afas_shared.db.engine import Database
from afas_shared.messaging.consumer import IdempotentConsumer, with_batch
from afas_shared.messaging.tables import DeadLetter, InboxRecord
from afas_shared.read_models.grant_lines import Granted, GrantLineColumns, GrantLines
from afas_shared.read_models.versioned import apply_groups, apply_groups_batch, apply_versioned, watch_stale

CONSUMER = "probe-batches"


class BatchedEffect(SQLModel, table=True):
    """One row per handler call that committed (no unique key: a double shows), with the version it applied."""

    __tablename__ = "batched_effect"
    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=36)


class GroupsOneByOne(SQLModel, table=True):
    """A read model with two groups of fields, each on its own version (``apply_groups``)."""

    __tablename__ = "groups_one_by_one"
    key: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=64)
    version: int
    closing: str | None = Field(default=None, max_length=64)
    closing_version: int


class GroupsBatched(SQLModel, table=True):
    __tablename__ = "groups_batched"
    key: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=64)
    version: int
    closing: str | None = Field(default=None, max_length=64)
    closing_version: int


class LinesOneByOne(GrantLineColumns, table=True):
    __tablename__ = "lines_one_by_one"


class LinesBatched(GrantLineColumns, table=True):
    __tablename__ = "lines_batched"


class BatchedLatest(SQLModel, table=True):
    __tablename__ = "batched_latest"
    key: str = Field(primary_key=True, max_length=64)
    value: str = Field(max_length=64)
    version: int


@dataclass
class Metadata:
    num_delivered: int


@dataclass
class Fetched:
    """A fetched JetStream message that remembers how the consumer settled it."""

    data: bytes
    delivered: int = 1
    subject: str = "identity.user_created.v1"
    headers: dict[str, str] = field(default_factory=dict)
    settled: list[str] = field(default_factory=list)

    @property
    def metadata(self) -> Metadata:
        return Metadata(self.delivered)

    async def ack(self) -> None:
        self.settled.append("ack")

    async def nak(self, delay: float | None = None) -> None:
        self.settled.append("nak")

    async def term(self) -> None:
        self.settled.append("term")


@pytest.fixture
async def db(backends):
    database = Database(backends.database_url("batches"))
    async with database.engine.begin() as conn:
        tables = [BatchedEffect.__table__, BatchedLatest.__table__, InboxRecord.__table__, DeadLetter.__table__]
        tables += [GroupsOneByOne.__table__, GroupsBatched.__table__, LinesOneByOne.__table__, LinesBatched.__table__]
        await conn.run_sync(SQLModel.metadata.create_all, tables=tables)
    yield database
    await database.dispose()


def event(aggregate: str | None = None, version: int = 1, name: str = "Léa") -> Envelope:
    user_id = uuid.UUID(aggregate) if aggregate else uuid.uuid4()
    data = UserCreatedV1(
        user_id=user_id, identifier="100000001", last_name="Lot", first_name=name, email="lot@example.org"
    )
    return Envelope.wrap(data, subject=str(user_id), aggregate_version=version, correlation_id="corr-batch")


def fetched(envelope: Envelope, delivered: int = 1) -> Fetched:
    return Fetched(envelope.model_dump_json().encode(), delivered)


class Recorder:
    """The handler: one effect row per call, and the transactions (sessions) it ran in; fails on demand."""

    def __init__(self, failing: set[str] | None = None) -> None:
        self.failing = failing or set()
        self.calls: list[str] = []
        self.sessions: set[int] = set()

    async def __call__(self, uow, envelope) -> None:
        self.calls.append(str(envelope.id))
        self.sessions.add(id(uow.session))
        uow.session.add(BatchedEffect(event_id=str(envelope.id)))
        if str(envelope.id) in self.failing:
            raise ValueError("barème introuvable")


def consumer(db: Database, handler, commits: list[int] | None = None) -> IdempotentConsumer:
    return IdempotentConsumer(
        CONSUMER,
        UserCreatedV1.subject(),
        handler,
        db,
        max_deliver=3,
        backoff=[0.1],
        after_commit=(lambda: commits.append(1)) if commits is not None else None,
    )


async def effects(db: Database) -> list[str]:
    async with db.sessions() as session:
        return list((await session.execute(sa.select(BatchedEffect.event_id).order_by(BatchedEffect.id))).scalars())


async def count(db: Database, table) -> int:
    async with db.sessions() as session:
        return (await session.execute(sa.select(sa.func.count()).select_from(table))).scalar_one()


async def test_a_batch_is_applied_in_one_transaction_then_every_message_acked(db):
    handler = Recorder()
    events = [event() for _ in range(5)]
    messages = [fetched(e) for e in events]

    assert await consumer(db, handler).handle_batch(messages) == ["handled"] * 5
    assert len(handler.sessions) == 1  # one unit of work for the whole batch
    assert await effects(db) == [str(e.id) for e in events]  # in stream order
    assert await count(db, InboxRecord) == 5
    assert [m.settled for m in messages] == [["ack"]] * 5


async def test_an_event_repeated_within_a_batch_and_from_an_earlier_batch_is_a_duplicate(db):
    handler = Recorder()
    first, second = event(), event()
    c = consumer(db, handler)
    await c.handle_batch([fetched(first)])

    messages = [fetched(second), fetched(first), fetched(second)]
    assert await c.handle_batch(messages) == ["handled", "duplicate", "duplicate"]
    assert sorted(await effects(db)) == sorted([str(first.id), str(second.id)])
    assert [m.settled for m in messages] == [["ack"]] * 3


async def test_a_failing_message_mid_batch_is_retried_alone_and_the_rest_applies(db):
    poison = event()
    handler = Recorder(failing={str(poison.id)})
    before, after = [event(), event()], [event(), event()]
    messages = [*map(fetched, before), fetched(poison), *map(fetched, after)]

    outcomes = await consumer(db, handler).handle_batch(messages)

    assert outcomes == ["handled", "handled", "retried", "handled", "handled"]
    assert sorted(await effects(db)) == sorted(str(e.id) for e in [*before, *after])  # the batch's try rolled back
    assert [m.settled for m in messages] == [["ack"], ["ack"], ["nak"], ["ack"], ["ack"]]
    assert await count(db, InboxRecord) == 4  # the poison will be redelivered: not recorded as handled


async def test_a_poison_at_its_last_delivery_goes_to_dead_letters_with_its_reason(db):
    poison = event()
    handler = Recorder(failing={str(poison.id)})
    unparseable = Fetched(b'{"not": "an envelope"}')
    healthy = [event(), event()]
    messages = [fetched(healthy[0]), fetched(poison, delivered=3), unparseable, fetched(healthy[1])]

    outcomes = await consumer(db, handler).handle_batch(messages)

    assert outcomes == ["handled", "dead_lettered", "poison", "handled"]
    assert [m.settled for m in messages] == [["ack"], ["term"], ["term"], ["ack"]]
    async with db.sessions() as session:
        letters = (await session.execute(sa.select(DeadLetter).order_by(DeadLetter.id))).scalars().all()
    assert [(d.event_id, d.deliveries) for d in letters] == [(None, 1), (str(poison.id), 3)]
    assert "does not match identity.user_created.v1" in letters[0].error
    assert "barème introuvable" in letters[1].error
    assert sorted(await effects(db)) == sorted(str(e.id) for e in healthy)


async def latest(uow, envelope) -> None:
    values = {"key": envelope.subject, "value": envelope.data.first_name}
    await apply_versioned(uow.session, BatchedLatest, envelope.subject, envelope.aggregate_version, values)


async def test_one_aggregates_versions_end_at_the_latest_within_and_across_batches(db):
    aggregate = str(uuid.uuid4())
    versions = {v: event(aggregate, v, f"v{v}") for v in range(1, 7)}
    c = consumer(db, latest)

    assert await c.handle_batch([fetched(versions[v]) for v in (1, 3, 2)]) == ["handled", "handled", "stale"]
    assert await c.handle_batch([fetched(versions[v]) for v in (5, 4, 6)]) == ["handled", "stale", "handled"]
    async with db.sessions() as session:
        row = await session.get(BatchedLatest, aggregate)
    assert (row.version, row.value) == (6, "v6")


async def test_a_batch_committed_but_never_acked_is_a_no_op_when_redelivered(db):
    handler, commits = Recorder(), []
    events = [event() for _ in range(4)]
    c = consumer(db, handler, commits)
    # The process dies between the commit and the acks: the work is committed, no message was settled.
    assert await c.process_batch(events) == ["handled"] * 4
    redelivered = [fetched(e, delivered=2) for e in events]

    assert await c.handle_batch(redelivered) == ["duplicate"] * 4
    assert [m.settled for m in redelivered] == [["ack"]] * 4
    assert len(handler.calls) == 4 and len(await effects(db)) == 4


async def test_a_set_based_form_applies_a_batch_and_the_one_event_form_its_fallback(db):
    batches: list[int] = []

    async def apply_batch(uow, envelopes) -> list[bool]:
        batches.append(len(envelopes))
        uow.session.add_all(BatchedEffect(event_id=str(e.id)) for e in envelopes)
        return [e.aggregate_version > 1 for e in envelopes]  # the first versions: stale, for the count

    one = Recorder()
    c = consumer(db, with_batch(one, apply_batch))
    events = [event(version=v) for v in (1, 2, 2)]

    assert await c.handle_batch([fetched(e) for e in events]) == ["stale", "handled", "handled"]
    assert batches == [3] and one.calls == []
    assert await c.handle_batch([fetched(event())]) == ["handled"]  # a single event: its own handler
    assert len(one.calls) == 1


async def test_two_batches_sharing_aggregates_wait_for_each_other_without_deadlock(db):
    """Each holds every aggregate of its batch until commit, taken in one order: they serialise, never deadlock."""
    a, b = str(uuid.uuid4()), str(uuid.uuid4())
    inside: list[str] = []

    async def slow(uow, envelope) -> None:
        inside.append(envelope.subject)
        await asyncio.sleep(0.01)
        await latest(uow, envelope)

    c = consumer(db, slow)
    first = [event(a, 1), event(b, 1)]
    second = [event(b, 2), event(a, 2)]
    results = await asyncio.wait_for(asyncio.gather(c.process_batch(first), c.process_batch(second)), 10)

    assert results == [["handled", "handled"], ["handled", "handled"]]
    assert inside == [a, b, b, a]  # the second batch started after the first committed


async def test_a_set_based_apply_of_two_groups_ends_as_one_event_after_the_other(db):
    """``apply_groups_batch`` over a shuffled batch (several rows, several versions each, rows held before at several
    versions or absent, events carrying one group or both): the rows and the groups applied are ``apply_groups``'."""
    rng = random.Random(16)
    held, absent = ["k0", "k1", "k2", "k3"], "new"
    changes = []
    for key in [*held, absent]:
        for version in range(1, 6):
            groups = {"version": {"name": f"{key}-n{version}"}, "closing_version": {"closing": f"{key}-c{version}"}}
            if version in (2, 4) and key != absent:  # a closure alone: its group only (an absent row needs both)
                groups.pop("version")
            changes.append((key, version, groups))
    rng.shuffle(changes)
    async with db.transaction() as session:
        for model in (GroupsOneByOne, GroupsBatched):
            session.add_all(
                model(key=k, name="held", version=3 * (i % 2), closing="held", closing_version=2 * (i % 3))
                for i, k in enumerate(held)
            )
    async with db.transaction() as session:
        one_by_one = [await apply_groups(session, GroupsOneByOne, k, v, g) for k, v, g in changes]
    stale, token = watch_stale()
    async with db.transaction() as session:
        batched = await apply_groups_batch(session, GroupsBatched, changes)
    assert [sorted(a) for a in batched] == [sorted(a) for a in one_by_one]
    assert any(not a for a in one_by_one) and stale[0]  # the stale ones were counted

    async def rows(model):
        async with db.sessions() as session:
            found = (await session.execute(sa.select(model).order_by(model.key))).scalars().all()
            return [(r.key, r.name, r.version, r.closing, r.closing_version) for r in found]

    assert await rows(GroupsBatched) == await rows(GroupsOneByOne)


async def test_grant_lines_applied_set_based_end_as_one_event_after_the_other(db):
    """``grant_all`` / ``decide_all`` / ``end_all`` over batches holding grants, decisions and ends that overtook
    their grant, a decision and an end repeated, a later end after an earlier one and a grant replayed: the same
    lines, and the same no-ops, as ``grant`` / ``decide`` / ``end`` one by one."""
    ids = [uuid.uuid4() for _ in range(4)]

    def granted(grant_id):
        return RoleGrantedV1(
            grant_id=grant_id,
            group_id=uuid.UUID(int=1),
            user_id=uuid.UUID(int=7),
            partner_id=uuid.UUID(int=8),
            role="approbateur",
            activity_id=uuid.UUID(int=9),
            start_date=date(2026, 1, 1),
            validation="pending",
        )

    def decision(contract, grant_id):
        extra = {"reason": "pièces manquantes"} if contract is GrantRejectedV1 else {}
        return contract(grant_id=grant_id, user_id=uuid.UUID(int=7), activity_id=uuid.UUID(int=9), **extra)

    decisions = [
        decision(GrantValidatedV1, ids[0]),  # before its grant: kept on a line that cannot act
        decision(GrantValidatedV1, ids[1]),
        decision(GrantRejectedV1, ids[2]),
        decision(GrantValidatedV1, ids[1]),  # the same decision again: a no-op
    ]
    grants = [granted(ids[1]), granted(ids[2]), granted(ids[0]), granted(ids[3]), granted(ids[3])]
    one_by_one, batched = GrantLines(LinesOneByOne), GrantLines(LinesBatched)

    def ended(grant_id, day):
        return GrantEndedV1(
            grant_id=grant_id, user_id=uuid.UUID(int=7), activity_id=uuid.UUID(int=9), end_date=day, reason="ended"
        )

    ends = [
        ended(ids[3], date(2026, 6, 30)),  # before its grant
        ended(ids[1], date(2026, 6, 30)),
        ended(ids[1], date(2026, 6, 30)),  # the same end again: a no-op
        ended(ids[1], date(2026, 9, 30)),  # a later end than the one applied: a no-op
        ended(ids[2], date(2026, 9, 30)),
        ended(ids[2], date(2026, 3, 31)),  # an earlier end: applied
    ]
    async with db.transaction() as session:
        expected = [(await one_by_one.grant(session, g)) for g in grants[:2]]
        expected_decided = [(await one_by_one.decide(session, d)) is not None for d in decisions]
        expected_ended = [(await one_by_one.end(session, e)) is not None for e in ends]
        expected += [(await one_by_one.grant(session, g)) for g in grants[2:]]
    async with db.transaction() as session:
        got = await batched.grant_all(session, grants[:2])
        got_decided = [line is not None for line in await batched.decide_all(session, decisions)]
        got_ended = [line is not None for line in await batched.end_all(session, ends)]
        got += await batched.grant_all(session, grants[2:])
    assert got == expected
    assert got[-1] is Granted.REPLAYED and got[-2] is Granted.COMPLETED  # ids[3]'s end came first: its grant completes
    assert got_decided == expected_decided == [True, True, True, False]
    assert got_ended == expected_ended == [True, True, False, False, True, True]

    async def lines(model):
        async with db.sessions() as session:
            found = (await session.execute(sa.select(model))).scalars().all()
            return sorted((str(r.grant_id), r.role, r.start_date, r.end_date, r.validation, r.ended) for r in found)

    assert await lines(LinesBatched) == await lines(LinesOneByOne)
