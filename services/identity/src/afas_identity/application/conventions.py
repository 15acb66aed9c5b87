"""Conventions between a partner and its Caf; a partner needs a valid access convention and a valid
AFAS bulletin before any of its users may join an AFAS group."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from afas_identity.adapters.tables import Convention, Partner
from afas_identity.application import audit, partners
from afas_identity.application.context import Caller
from afas_identity.application.errors import invalid, not_found
from afas_identity.domain import policy
from afas_identity.domain.conventions import (
    ConventionFacts,
    ConventionKind,
    State,
    Status,
    date_problem,
    partner_may_have_afas_users,
    state_of,
)
from afas_shared.clock import paris_today
from afas_shared.contracts.events.identity import ConventionClosedV1, ConventionSignedV1
from afas_shared.contracts.rpc.identity import ConventionFieldsV1, ConventionFiltersV1
from afas_shared.runtime import ServiceRuntime

# The request contracts themselves (their fields named as the API names them)
ConventionInput = ConventionFieldsV1
ConventionFilters = ConventionFiltersV1


def _facts(c: Convention) -> ConventionFacts:
    return ConventionFacts(
        kind=ConventionKind(c.kind),
        status=Status(c.status),
        signed=c.signed_at is not None,
        opening=c.opening_date,
        closing=c.closing_date,
    )


def view(c: Convention, partner_name: str, today: date) -> dict[str, Any]:
    facts = _facts(c)
    state = state_of(
        status=facts.status, signed=facts.signed, opening=facts.opening, closing=facts.closing, today=today
    )
    return {
        "id": str(c.id),
        "libelle": c.label,
        "type": facts.kind.value,
        "type_libelle": facts.kind.label,
        "caf": c.caf_code,
        "partenaire_id": str(c.partner_id),
        "partenaire": partner_name,
        "date_ouverture": c.opening_date.isoformat(),
        "date_fermeture": c.closing_date.isoformat() if c.closing_date else None,
        "statut": Status(c.status).label,
        "etat": state.label,
    }


async def sign(runtime: ServiceRuntime, caller: Caller, partner_id: uuid.UUID, data: ConventionInput) -> dict[str, Any]:
    if problem := date_problem(data.opening_date, data.closing_date):
        raise invalid("date_fermeture", problem)
    partner = await partners.load(runtime, partner_id)
    await audit.authorize(
        runtime,
        caller,
        policy.can_manage_partner(caller.actor, partners.ref(partner)),
        "convention.sign",
        partner_id=partner_id,
    )
    now = runtime.clock.now()
    convention = Convention(
        id=uuid.uuid4(),
        partner_id=partner.id,
        caf_code=partner.caf_code,
        kind=ConventionKind(data.kind).value,
        label=data.label or ConventionKind(data.kind).label,
        opening_date=data.opening_date,
        closing_date=data.closing_date,
        status=Status.ouvert.value,
        signed_at=now,
    )
    async with runtime.unit_of_work() as uow:
        uow.session.add(convention)
        uow.publish(
            ConventionSignedV1(
                convention_id=convention.id,
                partner_id=partner.id,
                caf_code=partner.caf_code,
                kind=convention.kind,
                label=convention.label,
                opening_date=convention.opening_date,
                closing_date=convention.closing_date,
            ),
            subject=str(convention.id),
            aggregate_version=1,
        )
        audit.record(
            uow,
            runtime,
            caller,
            "convention.sign",
            partner_id=partner.id,
            target=str(convention.id),
            detail={"type": convention.kind, "libelle": convention.label},
        )
    return view(convention, partner.name, paris_today(now))


async def close(runtime: ServiceRuntime, caller: Caller, convention_id: uuid.UUID, closing: date | None) -> dict:
    async with runtime.db.sessions() as session:
        current = await session.get(Convention, convention_id)
    if current is None:
        raise not_found("Convention inconnue.")
    partner = await partners.load(runtime, current.partner_id)
    await audit.authorize(
        runtime,
        caller,
        policy.can_manage_partner(caller.actor, partners.ref(partner)),
        "convention.close",
        partner_id=partner.id,
        target=str(convention_id),
    )
    today = paris_today(runtime.clock.now())
    closing = closing or today
    if problem := date_problem(current.opening_date, closing):
        raise invalid("date_fermeture", problem)
    async with runtime.unit_of_work() as uow:
        convention = await uow.session.get(Convention, convention_id)
        convention.status, convention.closing_date = Status.ferme.value, closing
        convention.version += 1
        uow.publish(
            ConventionClosedV1(
                convention_id=convention.id, partner_id=partner.id, kind=convention.kind, closing_date=closing
            ),
            subject=str(convention.id),
            aggregate_version=convention.version,
        )
        audit.record(uow, runtime, caller, "convention.close", partner_id=partner.id, target=str(convention.id))
    return view(convention, partner.name, today)


async def search(runtime: ServiceRuntime, caller: Caller, filters: ConventionFilters) -> list[dict[str, Any]]:
    """ "Consulter les conventions": filters libellé, type, statut, partenaire, état."""
    actor = caller.actor
    query = sa.select(Convention, Partner.name).join(Partner, Partner.id == Convention.partner_id)
    if actor.kind == "caf":
        query = query.where(Convention.caf_code == actor.caf_code)
    elif actor.kind == "partner":
        query = query.where(Convention.partner_id == actor.partner_id)
    elif actor.kind != "operator":
        return []
    if filters.label:
        query = query.where(sa.func.lower(Convention.label).contains(filters.label.lower()))
    if filters.kind:
        query = query.where(Convention.kind == ConventionKind(filters.kind).value)
    if filters.status:
        query = query.where(Convention.status == Status(filters.status).value)
    if filters.partner_id:
        query = query.where(Convention.partner_id == filters.partner_id)
    today = paris_today(runtime.clock.now())
    async with runtime.db.sessions() as session:
        rows = (await session.execute(query.order_by(Partner.name, Convention.opening_date))).all()
    found = [view(c, name, today) for c, name in rows]
    if filters.state:
        found = [c for c in found if c["etat"] == State(filters.state).label]
    return found


async def allows_afas_users(session: AsyncSession, partner_id: uuid.UUID, today: date) -> bool:
    rows = (await session.execute(sa.select(Convention).where(Convention.partner_id == partner_id))).scalars()
    return partner_may_have_afas_users([_facts(c) for c in rows], today)
