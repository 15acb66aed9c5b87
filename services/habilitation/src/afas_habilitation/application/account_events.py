"""Identity's events that end grants by themselves: suspension, closure, leaving AFAS-DECLARER."""

from __future__ import annotations

import sqlalchemy as sa

from afas_habilitation.adapters.tables import AccountState, DeclarerMembership
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
from afas_shared.runtime import ServiceRuntime

DECLARER = "AFAS-DECLARER"


def handlers(runtime: ServiceRuntime):
    clock = runtime  # read runtime.clock at each event: tests turn it by hand

    async def on_suspended(uow: UnitOfWork, envelope: Envelope[UserSuspendedV1]) -> None:
        await uow.session.merge(AccountState(user_id=envelope.data.user_id, state="suspendu"))
        await end_all(uow, paris_today(clock.clock.now()), "user_suspended", user_id=envelope.data.user_id)

    async def on_closed(uow: UnitOfWork, envelope: Envelope[UserClosedV1]) -> None:
        closing = envelope.data.closing_date
        if closing <= paris_today(clock.clock.now()):
            await uow.session.merge(AccountState(user_id=envelope.data.user_id, state="clos"))
        await end_all(uow, closing, "user_closed", user_id=envelope.data.user_id)

    async def on_reactivated(uow: UnitOfWork, envelope: Envelope[UserReactivatedV1]) -> None:
        await uow.session.execute(sa.delete(AccountState).where(AccountState.user_id == envelope.data.user_id))

    async def on_joined(uow: UnitOfWork, envelope: Envelope[GroupMembershipAddedV1]) -> None:
        m = envelope.data
        if m.group == DECLARER:
            uow.session.add(
                DeclarerMembership(
                    user_id=m.user_id, partner_id=m.partner_id, start_date=m.start_date, end_date=m.end_date
                )
            )

    async def on_left(uow: UnitOfWork, envelope: Envelope[GroupMembershipRemovedV1]) -> None:
        m = envelope.data
        if m.group != DECLARER:
            return
        rows = await uow.session.execute(
            sa.select(DeclarerMembership).where(
                DeclarerMembership.user_id == m.user_id,
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
