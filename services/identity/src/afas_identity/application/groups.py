"""AFAS groups ("Ajouter au groupe"): AFAS-HABILITER administers, AFAS-DECLARER declares."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa

from afas_identity.adapters.tables import GroupMembership, UserAccount
from afas_identity.application import audit, conventions, partners, sessions, users
from afas_identity.application.context import Caller
from afas_identity.application.errors import conflict, invalid, not_found
from afas_identity.application.memberships import active as _active
from afas_identity.domain import policy
from afas_shared.clock import paris_today
from afas_shared.contracts.events.identity import GroupMembershipAddedV1, GroupMembershipRemovedV1
from afas_shared.contracts.rpc.identity import MembershipFieldsV1
from afas_shared.runtime import ServiceRuntime

MAX_ADMINISTRATORS = 2


MembershipInput = MembershipFieldsV1  # the request contract itself (its fields named as the API names them)


async def add(runtime: ServiceRuntime, caller: Caller, user_id: uuid.UUID, data: MembershipInput) -> dict[str, Any]:
    user = await users.load(runtime, user_id)
    if user.partner_id is None:
        raise invalid("groupe", "Les groupes AFAS concernent les utilisateurs des partenaires.")
    partner = await partners.load(runtime, user.partner_id)
    await audit.authorize(
        runtime,
        caller,
        policy.can_manage_users_of(caller.actor, partners.ref(partner)),
        "group.add",
        partner_id=partner.id,
        target=str(user_id),
    )
    today = paris_today(runtime.clock.now())
    start = data.start_date or today
    if data.end_date is not None and data.end_date < start:
        raise invalid("date_fin", "La date de fin doit être postérieure ou égale à la date de début.")
    if user.status in ("clos", "suspendu"):
        raise conflict("Un compte clos ou suspendu ne peut pas être ajouté à un groupe.")
    async with runtime.unit_of_work() as uow:
        if not await conventions.allows_afas_users(uow.session, partner.id, start):
            raise conflict(
                "Le partenaire doit avoir une convention d'accès et un bulletin d'adhésion AFAS "
                "valables pour que ses utilisateurs rejoignent un groupe AFAS."
            )
        same = await uow.session.execute(
            sa.select(GroupMembership.id).where(
                GroupMembership.user_id == user_id, GroupMembership.group == data.group, _active(start)
            )
        )
        if same.first():
            raise conflict(f"L'utilisateur est déjà membre du groupe {data.group}.", "groupe")
        if data.group == "AFAS-HABILITER":
            admins = await uow.session.execute(
                sa.select(sa.func.count())
                .select_from(GroupMembership)
                .where(
                    GroupMembership.partner_id == partner.id, GroupMembership.group == "AFAS-HABILITER", _active(start)
                )
            )
            if admins.scalar_one() >= MAX_ADMINISTRATORS:
                raise conflict("Une convention compte au plus deux administrateurs (groupe AFAS-HABILITER).", "groupe")
        membership = GroupMembership(
            id=uuid.uuid4(),
            user_id=user_id,
            partner_id=partner.id,
            group=data.group,
            start_date=start,
            end_date=data.end_date,
        )
        uow.session.add(membership)
        account = await uow.session.get(UserAccount, user_id)
        account.version += 1
        uow.publish(
            GroupMembershipAddedV1(
                user_id=user_id, partner_id=partner.id, group=data.group, start_date=start, end_date=data.end_date
            ),
            subject=str(user_id),
            aggregate_version=account.version,
        )
        audit.record(
            uow,
            runtime,
            caller,
            "group.add",
            partner_id=partner.id,
            target=str(user_id),
            detail={"groupe": data.group, "date_debut": start, "date_fin": data.end_date},
        )
    return {
        "groupe": data.group,
        "date_debut": start.isoformat(),
        "date_fin": data.end_date.isoformat() if data.end_date else None,
    }


async def remove(
    runtime: ServiceRuntime, caller: Caller, user_id: uuid.UUID, group: str, end: date | None
) -> dict[str, Any]:
    user = await users.load(runtime, user_id)
    if user.partner_id is None:
        raise not_found("Cet utilisateur n'est membre d'aucun groupe AFAS.")
    partner = await partners.load(runtime, user.partner_id)
    await audit.authorize(
        runtime,
        caller,
        policy.can_manage_users_of(caller.actor, partners.ref(partner)),
        "group.remove",
        partner_id=partner.id,
        target=str(user_id),
    )
    end = end or paris_today(runtime.clock.now())
    async with runtime.unit_of_work() as uow:
        membership = (
            (
                await uow.session.execute(
                    sa.select(GroupMembership).where(
                        GroupMembership.user_id == user_id, GroupMembership.group == group, _active(end)
                    )
                )
            )
            .scalars()
            .first()
        )
        if membership is None:
            raise not_found(f"L'utilisateur n'est pas membre du groupe {group}.")
        membership.end_date = end
        account = await uow.session.get(UserAccount, user_id)
        account.version += 1
        # Effective now: the user's tokens carry the group, so its sessions end (a group joined needs no such step:
        # the next token refresh, within a minute, carries it)
        if end <= paris_today(runtime.clock.now()):
            await sessions.revoke_all(uow, runtime, user_id, "access_change")
        uow.publish(
            GroupMembershipRemovedV1(user_id=user_id, partner_id=partner.id, group=group, end_date=end),
            subject=str(user_id),
            aggregate_version=account.version,
        )
        audit.record(
            uow,
            runtime,
            caller,
            "group.remove",
            partner_id=partner.id,
            target=str(user_id),
            detail={"groupe": group, "date_fin": end},
        )
    return {"groupe": group, "date_fin": end.isoformat()}
