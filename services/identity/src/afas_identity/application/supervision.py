"""The Caf's supervision powers over accounts: suspend, reactivate, force a password change."""

from __future__ import annotations

import uuid
from typing import Any

from afas_identity.adapters.tables import UserAccount
from afas_identity.application import audit, partners, sessions
from afas_identity.application.context import Caller
from afas_identity.application.errors import conflict, invalid
from afas_identity.application.users import load, view
from afas_identity.domain import policy
from afas_shared.contracts.events.identity import UserReactivatedV1, UserSuspendedV1
from afas_shared.runtime import ServiceRuntime
from afas_shared.text import refuse_forbidden_characters


async def _may_supervise(runtime: ServiceRuntime, caller: Caller, user: UserAccount, action: str) -> None:
    if user.partner_id is not None:
        ref = partners.ref(await partners.load(runtime, user.partner_id))
        allowed = policy.can_supervise_users_of(caller.actor, ref)
    else:
        allowed = policy.can_manage_caf_agents(caller.actor, user.caf_code or "")
    await audit.authorize(runtime, caller, allowed, action, partner_id=user.partner_id, target=str(user.id))


async def suspend(runtime: ServiceRuntime, caller: Caller, user_id: uuid.UUID, reason: str) -> dict[str, Any]:
    current = await load(runtime, user_id)
    await _may_supervise(runtime, caller, current, "user.suspend")
    if not reason.strip():
        raise invalid("motif", "Le motif de la suspension est obligatoire.")
    refuse_forbidden_characters(reason, "reason", multiline=True)
    async with runtime.unit_of_work() as uow:
        user = await uow.session.get(UserAccount, user_id)
        user.status, user.suspension_reason, user.version = "suspendu", reason.strip(), user.version + 1
        await sessions.revoke_all(uow, runtime, user.id, "suspension")
        uow.publish(
            UserSuspendedV1(user_id=user.id, partner_id=user.partner_id, reason=reason.strip()),
            subject=str(user.id),
            aggregate_version=user.version,
        )
        audit.record(
            uow,
            runtime,
            caller,
            "user.suspend",
            partner_id=user.partner_id,
            target=str(user.id),
            detail={"motif": reason.strip()},
        )
    return view(user)


async def reactivate(runtime: ServiceRuntime, caller: Caller, user_id: uuid.UUID) -> dict[str, Any]:
    current = await load(runtime, user_id)
    await _may_supervise(runtime, caller, current, "user.reactivate")
    if current.status != "suspendu":
        raise conflict("Ce compte n'est pas suspendu.")
    async with runtime.unit_of_work() as uow:
        user = await uow.session.get(UserAccount, user_id)
        user.status = "actif" if user.password_hash else "en_attente"
        user.suspension_reason, user.version = None, user.version + 1
        uow.publish(
            UserReactivatedV1(user_id=user.id, partner_id=user.partner_id),
            subject=str(user.id),
            aggregate_version=user.version,
        )
        audit.record(uow, runtime, caller, "user.reactivate", partner_id=user.partner_id, target=str(user.id))
    return view(user)


async def force_password_change(runtime: ServiceRuntime, caller: Caller, user_id: uuid.UUID) -> dict[str, Any]:
    current = await load(runtime, user_id)
    await _may_supervise(runtime, caller, current, "user.force_password_change")
    async with runtime.unit_of_work() as uow:
        user = await uow.session.get(UserAccount, user_id)
        user.password_change_required = True
        await sessions.revoke_all(uow, runtime, user.id, "forced_password_change")
        audit.record(
            uow, runtime, caller, "user.force_password_change", partner_id=user.partner_id, target=str(user.id)
        )
    return view(user)
