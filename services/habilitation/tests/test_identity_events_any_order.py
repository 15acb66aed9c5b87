"""Identity's events about one partner or one user reach habilitation in any order (each event type has its own
consumer): the final state is the same, a stale or repeated event is a counted no-op, and an event that overtakes the
creation is kept until it arrives, never dead-lettered (issue 15, points 1 and 2)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from afas_habilitation.adapters.tables import AccountState, DeclarerMembership, KnownPartner, RoleGrant
from afas_shared.contracts.events.identity import (
    DelegationChangedV1,
    GroupMembershipAddedV1,
    GroupMembershipRemovedV1,
    PartnerRegisteredV1,
    PartnerUpdatedV1,
    UserReactivatedV1,
    UserSuspendedV1,
)
from afas_shared.read_models import early_events
from afas_shared.testing.delivery import deliver, event
from afas_shared.testing.fixtures import running

PARTNER = {"siret": "12345678901234", "kind": "association", "caf_code": "080"}


def _partner_history(partner_id: uuid.UUID) -> dict[str, object]:
    return {
        "registered": event(
            PartnerRegisteredV1(partner_id=partner_id, name="Un", delegated=True, **PARTNER), partner_id
        ),
        "renamed": event(PartnerUpdatedV1(partner_id=partner_id, name="Deux", **PARTNER), partner_id, 2),
        "withdrawn": event(DelegationChangedV1(partner_id=partner_id, delegated=False), partner_id, 3),
    }


@pytest.mark.parametrize(
    "order",
    [
        ["registered", "renamed", "withdrawn"],
        ["registered", "withdrawn", "renamed"],  # the delegation (v3) first: the name of v2 is not lost
        ["withdrawn", "renamed", "registered"],  # both before the registration: kept, then applied
        ["renamed", "registered", "withdrawn"],
    ],
)
async def test_the_partner_copy_ends_with_every_events_information_whatever_the_order(make_settings, order):
    partner_id = uuid.uuid4()
    history = _partner_history(partner_id)
    async with running(make_settings("habilitation")) as runtime:
        outcomes = [await deliver(runtime, history[name]) for name in order]
        async with runtime.db.sessions() as session:
            row = await session.get(KnownPartner, partner_id)
            kept = await early_events.waiting(session, f"known_partner:{partner_id}")
    assert outcomes == ["handled"] * 3
    assert (row.name, row.delegated, row.version, row.delegation_version) == ("Deux", False, 2, 3)
    assert kept == []


async def test_a_stale_or_replayed_partner_event_is_a_counted_no_op(make_settings):
    partner_id = uuid.uuid4()
    history = _partner_history(partner_id)
    async with running(make_settings("habilitation")) as runtime:
        for name in ("registered", "withdrawn", "renamed"):
            await deliver(runtime, history[name])
        assert await deliver(runtime, history["renamed"]) == "duplicate"  # the same message: the inbox
        replayed = history["renamed"].model_copy(update={"id": uuid.uuid4()})  # republished under a new id
        assert await deliver(runtime, replayed) == "stale"
        restored = event(DelegationChangedV1(partner_id=partner_id, delegated=True), partner_id, 2)  # older
        assert await deliver(runtime, restored) == "stale"
        async with runtime.db.sessions() as session:
            row = await session.get(KnownPartner, partner_id)
    assert (row.name, row.delegated) == ("Deux", False)


def _grant_line(user_id: uuid.UUID) -> RoleGrant:
    return RoleGrant(
        id=uuid.uuid4(),
        group_id=uuid.uuid4(),
        user_id=user_id,
        partner_id=uuid.uuid4(),
        role="fda",
        activity_id=uuid.uuid4(),
        start_date=date(2026, 1, 1),
        validation="not_required",
        created_at=datetime.now(UTC),
    )


@pytest.mark.parametrize("reactivation_first", [False, True])
async def test_suspension_and_reactivation_end_as_reactivated_in_either_order(make_settings, reactivation_first):
    user_id = uuid.uuid4()
    suspended = event(UserSuspendedV1(user_id=user_id, reason="contrôle"), user_id, 5)
    reactivated = event(UserReactivatedV1(user_id=user_id), user_id, 6)
    async with running(make_settings("habilitation")) as runtime:
        line = _grant_line(user_id)
        async with runtime.db.transaction() as session:
            session.add(line)
        order = [reactivated, suspended] if reactivation_first else [suspended, reactivated]
        outcomes = [await deliver(runtime, e) for e in order]
        async with runtime.db.sessions() as session:
            account = await session.get(AccountState, user_id)
            ended = (await session.get(RoleGrant, line.id)).end_reason
    assert (account.state, account.version) == ("actif", 6)
    if reactivation_first:
        assert outcomes == ["handled", "stale"]  # the older suspension: a counted no-op that ends no grant
        assert ended is None
    else:
        assert outcomes == ["handled", "handled"]
        assert ended == "user_suspended"  # a reactivation does not give back what the suspension ended


@pytest.mark.parametrize("departure_first", [False, True])
async def test_a_departure_from_afas_declarer_ends_the_membership_in_either_order(make_settings, departure_first):
    user_id, partner_id = uuid.uuid4(), uuid.uuid4()
    group = "AFAS-DECLARER"
    joined = event(
        GroupMembershipAddedV1(user_id=user_id, partner_id=partner_id, group=group, start_date=date(2026, 1, 1)),
        user_id,
        3,
    )
    left = event(
        GroupMembershipRemovedV1(user_id=user_id, partner_id=partner_id, group=group, end_date=date(2026, 3, 31)),
        user_id,
        4,
    )
    joined_again = event(
        GroupMembershipAddedV1(user_id=user_id, partner_id=partner_id, group=group, start_date=date(2026, 5, 1)),
        user_id,
        5,
    )
    async with running(make_settings("habilitation")) as runtime:
        order = [left, joined_again, joined] if departure_first else [joined, left, joined_again]
        outcomes = [await deliver(runtime, e) for e in order]
        replayed = joined.model_copy(update={"id": uuid.uuid4()})
        assert await deliver(runtime, replayed) == "stale"
        assert await deliver(runtime, left.model_copy(update={"id": uuid.uuid4()})) == "stale"
        async with runtime.db.sessions() as session:
            periods = (
                await session.execute(
                    sa.select(DeclarerMembership.start_date, DeclarerMembership.end_date)
                    .where(DeclarerMembership.user_id == user_id)
                    .order_by(DeclarerMembership.start_date)
                )
            ).all()
    assert outcomes == ["handled"] * 3
    assert [tuple(p) for p in periods] == [(date(2026, 1, 1), date(2026, 3, 31)), (date(2026, 5, 1), None)]
