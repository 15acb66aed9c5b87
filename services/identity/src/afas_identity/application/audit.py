"""Audit trail: who did what, when, from where — and every refused attempt."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import sqlalchemy as sa

from afas_identity.adapters.tables import AuditEntry, Partner
from afas_identity.application.context import Caller
from afas_identity.application.errors import not_found
from afas_identity.domain import policy
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.runtime import ServiceRuntime

log = logging.getLogger(__name__)


def record(
    uow: UnitOfWork,
    runtime: ServiceRuntime,
    caller: Caller,
    action: str,
    *,
    partner_id: uuid.UUID | None = None,
    target: str | None = None,
    detail: dict[str, Any] | None = None,
    outcome: str = "ok",
) -> None:
    uow.session.add(
        AuditEntry(
            at=runtime.clock.now(),
            actor_user_id=caller.actor.user_id,
            actor_kind=caller.actor.kind,
            actor_address=caller.address,
            partner_id=partner_id,
            action=action,
            target=target,
            outcome=outcome,
            detail=json.dumps(detail or {}, ensure_ascii=False, default=str),
        )
    )


async def refuse(
    runtime: ServiceRuntime,
    caller: Caller,
    action: str,
    message: str,
    *,
    partner_id: uuid.UUID | None = None,
    target: str | None = None,
) -> RpcFailure:
    """Record and log a refused attempt in its own transaction, then return the 403 to raise."""
    log.warning(
        "refused %s on %s by %s %s from %s",
        action,
        target or partner_id,
        caller.actor.kind,
        caller.actor.user_id,
        caller.address,
    )
    async with runtime.unit_of_work() as uow:
        record(
            uow,
            runtime,
            caller,
            action,
            partner_id=partner_id,
            target=target,
            outcome="refused",
            detail={"reason": message},
        )
    return RpcFailure("forbidden", message)


async def authorize(
    runtime: ServiceRuntime,
    caller: Caller,
    allowed: bool,
    action: str,
    *,
    partner_id: uuid.UUID | None = None,
    target: str | None = None,
    message: str = "Vous n'avez pas les droits pour cette action.",
) -> None:
    if not allowed:
        raise await refuse(runtime, caller, action, message, partner_id=partner_id, target=target)


async def trail_of_partner(runtime: ServiceRuntime, caller: Caller, partner_id: uuid.UUID) -> list[dict[str, Any]]:
    async with runtime.db.sessions() as session:
        partner = await session.get(Partner, partner_id)
    if partner is None:
        raise not_found("Partenaire inconnu.")
    ref = policy.PartnerRef(partner.id, partner.caf_code, partner.delegated)
    await authorize(runtime, caller, policy.can_read_audit_of(caller.actor, ref), "audit.read", partner_id=partner_id)
    async with runtime.db.sessions() as session:
        rows = (
            (
                await session.execute(
                    sa.select(AuditEntry).where(AuditEntry.partner_id == partner_id).order_by(AuditEntry.id)
                )
            )
            .scalars()
            .all()
        )
    return [
        {
            "date": r.at.isoformat(),
            "acteur": str(r.actor_user_id) if r.actor_user_id else r.actor_kind,
            "adresse": r.actor_address,
            "action": r.action,
            "cible": r.target,
            "resultat": r.outcome,
            "detail": json.loads(r.detail),
        }
        for r in rows
    ]
