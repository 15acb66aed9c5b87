"""Partners (organismes gestionnaires), registered and supervised by their Caf."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from afas_identity.adapters.tables import Partner
from afas_identity.application import audit
from afas_identity.application.context import Caller
from afas_identity.application.errors import conflict, invalid, not_found
from afas_identity.domain import policy
from afas_identity.domain.cafs import UnknownCaf, get_caf
from afas_identity.domain.siret import siret_error
from afas_shared.contracts.events.identity import DelegationChangedV1, PartnerRegisteredV1, PartnerUpdatedV1
from afas_shared.contracts.rpc.identity import PartnerFieldsV1
from afas_shared.runtime import ServiceRuntime

PartnerInput = PartnerFieldsV1  # the request contract itself (its fields named as the API names them)


def view(p: Partner) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "raison_sociale": p.name,
        "siret": p.siret,
        "type": p.kind,
        "caf": p.caf_code,
        "gestion_deleguee": p.delegated,
    }


def ref(p: Partner) -> policy.PartnerRef:
    return policy.PartnerRef(p.id, p.caf_code, p.delegated)


def _validate(data: PartnerInput) -> None:
    if problem := siret_error(data.siret):
        raise invalid("siret", problem)
    try:
        get_caf(data.caf_code)
    except UnknownCaf as exc:
        raise invalid("caf", str(exc)) from None


async def load(runtime: ServiceRuntime, partner_id: uuid.UUID) -> Partner:
    async with runtime.db.sessions() as session:
        partner = await session.get(Partner, partner_id)
    if partner is None:
        raise not_found("Partenaire inconnu.")
    return partner


async def register(runtime: ServiceRuntime, caller: Caller, data: PartnerInput) -> dict[str, Any]:
    _validate(data)
    await audit.authorize(
        runtime, caller, policy.can_register_partner(caller.actor, data.caf_code), "partner.register", target=data.siret
    )
    partner = Partner(
        id=uuid.uuid4(),
        name=data.name,
        siret=data.siret,
        kind=data.kind,
        caf_code=data.caf_code,
        delegated=data.delegated,
    )
    async with runtime.unit_of_work() as uow:
        taken = await uow.session.execute(sa.select(Partner.id).where(Partner.siret == data.siret))
        if taken.first():
            raise conflict(f"Un partenaire est déjà enregistré avec le SIRET {data.siret}.", "siret")
        uow.session.add(partner)
        uow.publish(
            PartnerRegisteredV1(
                partner_id=partner.id,
                name=partner.name,
                siret=partner.siret,
                kind=partner.kind,
                caf_code=partner.caf_code,
                delegated=partner.delegated,
            ),
            subject=str(partner.id),
            aggregate_version=1,
        )
        audit.record(uow, runtime, caller, "partner.register", partner_id=partner.id, detail=view(partner))
    return view(partner)


async def update(runtime: ServiceRuntime, caller: Caller, partner_id: uuid.UUID, data: PartnerInput) -> dict[str, Any]:
    _validate(data)
    current = await load(runtime, partner_id)
    allowed = policy.can_manage_partner(caller.actor, ref(current)) and (
        data.caf_code == current.caf_code or policy.can_register_partner(caller.actor, data.caf_code)
    )
    await audit.authorize(runtime, caller, allowed, "partner.update", partner_id=partner_id)
    async with runtime.unit_of_work() as uow:
        partner = await uow.session.get(Partner, partner_id)
        other = await uow.session.execute(
            sa.select(Partner.id).where(Partner.siret == data.siret, Partner.id != partner_id)
        )
        if other.first():
            raise conflict(f"Un partenaire est déjà enregistré avec le SIRET {data.siret}.", "siret")
        partner.name, partner.siret, partner.kind, partner.caf_code = data.name, data.siret, data.kind, data.caf_code
        partner.version += 1
        uow.publish(
            PartnerUpdatedV1(
                partner_id=partner.id,
                name=partner.name,
                siret=partner.siret,
                kind=partner.kind,
                caf_code=partner.caf_code,
            ),
            subject=str(partner.id),
            aggregate_version=partner.version,
        )
        audit.record(uow, runtime, caller, "partner.update", partner_id=partner.id, detail=view(partner))
    return view(partner)


async def change_delegation(
    runtime: ServiceRuntime, caller: Caller, partner_id: uuid.UUID, delegated: bool
) -> dict[str, Any]:
    current = await load(runtime, partner_id)
    await audit.authorize(
        runtime,
        caller,
        policy.can_change_delegation(caller.actor, ref(current)),
        "partner.delegation",
        partner_id=partner_id,
    )
    async with runtime.unit_of_work() as uow:
        partner = await uow.session.get(Partner, partner_id)
        if partner.delegated != delegated:
            partner.delegated = delegated
            partner.version += 1
            uow.publish(
                DelegationChangedV1(partner_id=partner.id, delegated=delegated),
                subject=str(partner.id),
                aggregate_version=partner.version,
            )
            audit.record(
                uow,
                runtime,
                caller,
                "partner.delegation",
                partner_id=partner.id,
                detail={"gestion_deleguee": delegated},
            )
    return view(partner)


async def visible_to(runtime: ServiceRuntime, caller: Caller) -> list[dict[str, Any]]:
    """Caf agents see their Caf's partners; a partner's users see their own partner only."""
    actor = caller.actor
    query = sa.select(Partner).order_by(Partner.name)
    if actor.kind == "caf":
        query = query.where(Partner.caf_code == actor.caf_code)
    elif actor.kind == "partner":
        query = query.where(Partner.id == actor.partner_id)
    elif actor.kind != "operator":
        return []
    async with runtime.db.sessions() as session:
        return [view(p) for p in (await session.execute(query)).scalars()]


async def get(runtime: ServiceRuntime, caller: Caller, partner_id: uuid.UUID) -> dict[str, Any]:
    partner = await load(runtime, partner_id)
    actor = caller.actor
    allowed = (
        actor.kind == "operator"
        or (actor.kind == "caf" and actor.caf_code == partner.caf_code)
        or (actor.kind == "partner" and actor.partner_id == partner.id)
    )
    await audit.authorize(runtime, caller, allowed, "partner.read", partner_id=partner_id)
    return view(partner)
