"""Identity's events that end grants by themselves: suspension, closure, leaving AFAS-DECLARER.

Each event type has its own consumer, so a user's events may be handled in any order: the account state keeps the
user's version (a suspension older than the reactivation handled first is a counted no-op, and ends no grant), and
every departure from AFAS-DECLARER is kept with its version, so a membership announced before it ends then even when
the departure was handled first.
"""

from __future__ import annotations

import sqlalchemy as sa

from afas_habilitation.adapters.tables import AccountState, DeclarerDeparture, DeclarerMembership
from afas_habilitation.application.grants import end_all
from afas_shared.clock import paris_today
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.identity import (
    GroupMembershipAddedV1,
    GroupMembershipRemovedV1,
    UserClosedV1,
    UserReactivatedV1,
    UserSuspendedV1,
)
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.read_models.versioned import apply_versioned, stale
from afas_shared.runtime import ServiceRuntime

DECLARER = "AFAS-DECLARER"


def handlers(runtime: ServiceRuntime):
    clock = runtime  # read runtime.clock at each event: tests turn it by hand

    async def on_suspended(uow: UnitOfWork, envelope: Envelope[UserSuspendedV1]) -> None:
        user_id = envelope.data.user_id
        if await apply_versioned(uow.session, AccountState, user_id, envelope.aggregate_version, {"state": "suspendu"}):
            await end_all(uow, paris_today(clock.clock.now()), "user_suspended", user_id=user_id)

    async def on_closed(uow: UnitOfWork, envelope: Envelope[UserClosedV1]) -> None:
        user_id, closing = envelope.data.user_id, envelope.data.closing_date
        if closing <= paris_today(clock.clock.now()):
            values = {"state": "clos"}
            if not await apply_versioned(uow.session, AccountState, user_id, envelope.aggregate_version, values):
                return
        await end_all(uow, closing, "user_closed", user_id=user_id)

    async def on_reactivated(uow: UnitOfWork, envelope: Envelope[UserReactivatedV1]) -> None:
        values = {"state": "actif"}
        await apply_versioned(uow.session, AccountState, envelope.data.user_id, envelope.aggregate_version, values)

    async def on_joined(uow: UnitOfWork, envelope: Envelope[GroupMembershipAddedV1]) -> None:
        m, version = envelope.data, envelope.aggregate_version
        if m.group != DECLARER:
            return
        known = await uow.session.execute(
            sa.select(DeclarerMembership.id).where(
                DeclarerMembership.user_id == m.user_id, DeclarerMembership.version == version
            )
        )
        if known.first() is not None:
            stale()  # the same membership again (a replay under a new id)
            return
        # A departure announced after this membership but handled before it: the first one ends it.
        departure = (
            (
                await uow.session.execute(
                    sa.select(DeclarerDeparture)
                    .where(DeclarerDeparture.user_id == m.user_id, DeclarerDeparture.version > version)
                    .order_by(DeclarerDeparture.version)
                    .limit(1)
                )
            )
            .scalars()
            .first()
        )
        end = m.end_date
        if departure is not None:
            end = min(end, departure.end_date) if end else departure.end_date
        uow.session.add(
            DeclarerMembership(
                user_id=m.user_id, partner_id=m.partner_id, start_date=m.start_date, end_date=end, version=version
            )
        )

    async def on_left(uow: UnitOfWork, envelope: Envelope[GroupMembershipRemovedV1]) -> None:
        m, version = envelope.data, envelope.aggregate_version
        if m.group != DECLARER:
            return
        if await uow.session.get(DeclarerDeparture, (m.user_id, version)) is not None:
            stale()  # the same departure again
            return
        uow.session.add(DeclarerDeparture(user_id=m.user_id, version=version, end_date=m.end_date))
        rows = await uow.session.execute(
            sa.select(DeclarerMembership).where(
                DeclarerMembership.user_id == m.user_id,
                DeclarerMembership.version < version,  # a membership announced after it is not this one
                sa.or_(DeclarerMembership.end_date.is_(None), DeclarerMembership.end_date > m.end_date),
            )
        )
        for membership in rows.scalars():
            membership.end_date = m.end_date
        await end_all(uow, m.end_date, "left_declarer_group", user_id=m.user_id)

    return {
        UserSuspendedV1: on_suspended,
        UserClosedV1: on_closed,
        UserReactivatedV1: on_reactivated,
        GroupMembershipAddedV1: on_joined,
        GroupMembershipRemovedV1: on_left,
    }
