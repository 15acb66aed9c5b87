"""Read models fed by several event types of one aggregate: each event's information ends up applied whatever the
arrival order (a version per group of fields), an event that overtakes its aggregate's creation is kept and applied
when it arrives, and a consumer can be told to handle its events under another aggregate's key (issue 15)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.identity import (
    DelegationChangedV1,
    PartnerRegisteredV1,
    PartnerUpdatedV1,
    UserCreatedV1,
)
from afas_shared.db.engine import Database
from afas_shared.messaging.consumer import IdempotentConsumer, aggregate_locks
from afas_shared.messaging.tables import InboxRecord
from afas_shared.messaging.unit_of_work import unit_of_work
from afas_shared.read_models import early_events, versioned
from afas_shared.read_models.early_events import EarlyEvent


class ProbePartner(SQLModel, table=True):
    """Identity fields on ``version``, the delegation on ``delegation_version``."""

    __tablename__ = "probe_partner"
    partner_id: uuid.UUID = Field(primary_key=True)
    name: str = Field(max_length=100)
    delegated: bool
    version: int
    delegation_version: int


@pytest.fixture
async def db(backends):
    database = Database(backends.database_url("groups"))
    async with database.engine.begin() as conn:
        tables = [ProbePartner.__table__, EarlyEvent.__table__, InboxRecord.__table__]
        await conn.run_sync(SQLModel.metadata.create_all, tables=tables)
    yield database
    await database.dispose()


def _event(data, version: int) -> Envelope:
    return Envelope.wrap(data, subject=str(data.partner_id), aggregate_version=version, correlation_id="c")


async def on_registered(uow, envelope) -> None:
    p = envelope.data
    await versioned.apply_groups(
        uow.session,
        ProbePartner,
        p.partner_id,
        envelope.aggregate_version,
        {"version": {"name": p.name}, "delegation_version": {"delegated": p.delegated}},
    )
    handlers = {PartnerUpdatedV1.subject(): on_updated, DelegationChangedV1.subject(): on_delegation}
    await early_events.release(uow, f"probe_partner:{p.partner_id}", handlers)


async def on_updated(uow, envelope) -> None:
    p = envelope.data
    if await uow.session.get(ProbePartner, p.partner_id) is None:
        await early_events.keep(uow, envelope, f"probe_partner:{p.partner_id}")
        return
    await versioned.apply_versioned(
        uow.session, ProbePartner, p.partner_id, envelope.aggregate_version, {"name": p.name}
    )


async def on_delegation(uow, envelope) -> None:
    p = envelope.data
    if await uow.session.get(ProbePartner, p.partner_id) is None:
        await early_events.keep(uow, envelope, f"probe_partner:{p.partner_id}")
        return
    values = {"delegated": p.delegated}
    await versioned.apply_versioned(
        uow.session, ProbePartner, p.partner_id, envelope.aggregate_version, values, version_column="delegation_version"
    )


HANDLERS = {
    PartnerRegisteredV1.subject(): on_registered,
    PartnerUpdatedV1.subject(): on_updated,
    DelegationChangedV1.subject(): on_delegation,
}


async def _apply(db, envelope) -> bool:
    """Handle one event in its own transaction; True when it was a counted no-op."""
    mark, token = versioned.watch_stale()
    try:
        async with unit_of_work(db) as uow:
            await HANDLERS[envelope.type](uow, envelope)
    finally:
        versioned.reset_stale(token)
    return mark[0]


def _history(partner_id: uuid.UUID) -> list[Envelope]:
    """Registered (v1), renamed (v2), delegation withdrawn (v3), renamed again (v4)."""
    common = {"partner_id": partner_id, "siret": "12345678901234", "kind": "association", "caf_code": "080"}
    return [
        _event(PartnerRegisteredV1(name="Une", delegated=True, **common), 1),
        _event(PartnerUpdatedV1(name="Deux", **common), 2),
        _event(DelegationChangedV1(partner_id=partner_id, delegated=False), 3),
        _event(PartnerUpdatedV1(name="Quatre", **common), 4),
    ]


@pytest.mark.parametrize(
    "order",
    [[0, 1, 2, 3], [3, 2, 1, 0], [0, 2, 1, 3], [0, 3, 2, 1], [2, 0, 3, 1], [1, 3, 2, 0], [2, 1, 0, 3]],
)
async def test_every_event_is_applied_whatever_the_order(db, order):
    partner_id = uuid.uuid4()
    events = _history(partner_id)
    for i in order:
        await _apply(db, events[i])
    async with db.sessions() as session:
        row = await session.get(ProbePartner, partner_id)
        kept = await early_events.waiting(session, f"probe_partner:{partner_id}")
    assert (row.name, row.delegated, row.version, row.delegation_version) == ("Quatre", False, 4, 3)
    assert kept == []  # whatever overtook the registration was applied when it came


async def test_an_event_older_than_its_group_is_a_counted_no_op_even_when_another_group_is_older(db):
    partner_id = uuid.uuid4()
    registered, renamed, withdrawn, renamed_again = _history(partner_id)
    assert not await _apply(db, registered)
    assert not await _apply(db, withdrawn)  # v3, on the delegation: the names keep v1
    assert not await _apply(db, renamed)  # v2 < v3, but its group holds v1: applied
    assert await _apply(db, renamed)  # the same again: a no-op, counted
    assert await _apply(db, registered)  # both its groups are newer now: a no-op, counted
    assert not await _apply(db, renamed_again)
    async with db.sessions() as session:
        row = await session.get(ProbePartner, partner_id)
    assert (row.name, row.delegated) == ("Quatre", False)


async def test_a_kept_event_is_kept_once_and_its_staleness_is_not_the_creations(db):
    partner_id = uuid.uuid4()
    registered, renamed, _, _ = _history(partner_id)
    await _apply(db, renamed)
    await _apply(db, renamed)  # a redelivery the inbox would absorb: kept once anyway
    async with db.sessions() as session:
        assert len(await early_events.waiting(session, f"probe_partner:{partner_id}")) == 1
    assert not await _apply(db, registered)  # it applied the kept rename: not a no-op
    async with db.sessions() as session:
        assert (await session.get(ProbePartner, partner_id)).name == "Deux"


async def test_a_consumer_handles_its_events_under_the_key_it_is_given(db):
    """Two consumers of two aggregates' events that write one row: given one key, they never interleave."""
    partner_id, user_id = uuid.uuid4(), uuid.uuid4()
    locks = aggregate_locks(db)
    inside: list[str] = []
    held: list[bool] = []

    def handler(name: str):
        async def handle(uow, envelope) -> None:
            held.append(str(partner_id) in locks)
            inside.append(f"{name}:start")
            await asyncio.sleep(0.05)
            inside.append(f"{name}:end")

        return handle

    by_partner = IdempotentConsumer(
        "p", "identity.partner_updated.v1", handler("partner"), db, max_deliver=1, backoff=[]
    )
    by_user = IdempotentConsumer(
        "u",
        "identity.user_created.v1",
        handler("user"),
        db,
        max_deliver=1,
        backoff=[],
        key=lambda envelope: str(envelope.data.partner_id),  # the user's partner row, say
    )
    common = {"partner_id": partner_id, "siret": "12345678901234", "kind": "association", "caf_code": "080"}
    user = UserCreatedV1(
        user_id=user_id, identifier="100000001", last_name="A", first_name="B", email="a@b.fr", partner_id=partner_id
    )
    user_event = Envelope.wrap(user, subject=str(user_id), aggregate_version=1, correlation_id="c")
    outcomes = await asyncio.gather(
        by_user.process(user_event), by_partner.process(_event(PartnerUpdatedV1(name="X", **common), 2))
    )
    assert outcomes == ["handled", "handled"]
    assert held == [True, True]
    assert inside in (
        ["user:start", "user:end", "partner:start", "partner:end"],
        ["partner:start", "partner:end", "user:start", "user:end"],
    )
    async with db.sessions() as session:
        assert (await session.execute(sa.select(sa.func.count()).select_from(InboxRecord))).scalar_one() == 2


async def test_an_early_event_whose_aggregate_never_comes_is_reported_past_the_alert_delay(db, caplog):
    from datetime import timedelta

    partner_id = uuid.uuid4()
    update = _history(partner_id)[1]
    assert await _apply(db, update) is False  # kept: the partner is not known yet
    async with db.sessions() as session:
        [kept] = (await session.execute(sa.select(EarlyEvent))).scalars().all()
        soon = kept.kept_at + timedelta(seconds=30)
        assert await early_events.report_overdue(session, soon, 3600) == {}
        late = kept.kept_at + timedelta(hours=2)
        with caplog.at_level("WARNING"):
            assert await early_events.report_overdue(session, late, 3600) == {PartnerUpdatedV1.subject(): 1}
    assert early_events.OVERDUE.labels(PartnerUpdatedV1.subject())._value.get() == 1
    assert any("never" in r.getMessage() and PartnerUpdatedV1.subject() in r.getMessage() for r in caplog.records)
    # the registration finally comes: the kept update is applied, and the gauge returns to zero
    assert await _apply(db, _history(partner_id)[0]) is False
    async with db.sessions() as session:
        assert await early_events.report_overdue(session, late, 3600) == {}
        assert (await session.get(ProbePartner, partner_id)).name == "Deux"
    assert early_events.OVERDUE.labels(PartnerUpdatedV1.subject())._value.get() == 0
