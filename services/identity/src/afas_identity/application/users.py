"""User accounts: nominative, created by a partner administrator or a Caf agent, activated by link."""

from __future__ import annotations

import re
import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa

from afas_identity.adapters.tables import GroupMembership, UserAccount
from afas_identity.application import audit, links, partners, sessions
from afas_identity.application.context import Caller
from afas_identity.application.errors import conflict, invalid, not_found
from afas_identity.domain import policy
from afas_identity.domain.mailboxes import shared_mailbox_problem
from afas_identity.domain.users import new_identifier
from afas_shared.cafs import CAFS, NATIONAL_CODE
from afas_shared.clock import paris_today
from afas_shared.contracts.events.identity import (
    UserClosedV1,
    UserCreatedV1,
    UserUpdatedV1,
)
from afas_shared.contracts.rpc.identity import CafAgentFieldsV1, UserFieldsV1
from afas_shared.runtime import ServiceRuntime

PHONE = re.compile(r"^0[1-9]\d{8}$")


def _national(phone: str | None) -> str | None:
    """One form for one number: spaces, dots and dashes dropped, +33 written 0."""
    if not phone:
        return None
    digits = re.sub(r"[\s.\-]", "", phone)
    return "0" + digits[3:] if digits.startswith("+33") else digits


# What a user is created or updated with: the request contract itself (its fields named as the API names them)
UserInput = UserFieldsV1
CafAgentInput = CafAgentFieldsV1


def _checked(data: UserInput, today: date) -> tuple[str, str | None, date]:
    email = str(data.email).lower()
    if data.email_confirmation.strip().lower() != email:
        raise invalid("email_confirmation", "Les deux adresses de messagerie saisies sont différentes.")
    if problem := shared_mailbox_problem(email):
        raise invalid("email", problem)
    phone = _national(data.phone)
    if phone is not None:
        if not PHONE.match(phone):
            raise invalid(
                "telephone", "Le numéro de téléphone doit comporter 10 chiffres (ou +33 suivi de 9 chiffres)."
            )
        confirmation = _national(data.phone_confirmation)
        if confirmation != phone:
            raise invalid("telephone_confirmation", "Les deux numéros de téléphone saisis sont différents.")
    opening = data.opening_date or today
    if data.closing_date is not None and data.closing_date < opening:
        raise invalid("date_fermeture", "La date de fermeture doit être postérieure ou égale à la date d'ouverture.")
    return email, phone, opening


def view(u: UserAccount, groups: list[GroupMembership] = ()) -> dict[str, Any]:
    return {
        "id": str(u.id),
        "identifiant": u.identifier,
        "nom": u.last_name,
        "prenom": u.first_name,
        "email": u.email,
        "telephone": u.phone,
        "mobilite": u.mobility,
        "type": u.kind,
        "partenaire_id": str(u.partner_id) if u.partner_id else None,
        "caf": u.caf_code,
        "roles_caf": [r for r in u.caf_roles.split(",") if r],
        "date_ouverture": u.opening_date.isoformat() if u.opening_date else None,
        "date_fermeture": u.closing_date.isoformat() if u.closing_date else None,
        "statut": u.status,
        "groupes": [
            {
                "groupe": g.group,
                "date_debut": g.start_date.isoformat(),
                "date_fin": g.end_date.isoformat() if g.end_date else None,
            }
            for g in groups
        ],
    }


async def load(runtime: ServiceRuntime, user_id: uuid.UUID) -> UserAccount:
    async with runtime.db.sessions() as session:
        user = await session.get(UserAccount, user_id)
    if user is None:
        raise not_found("Utilisateur inconnu.")
    return user


async def _may_manage(runtime: ServiceRuntime, caller: Caller, user: UserAccount, action: str) -> None:
    if user.partner_id is not None:
        ref = partners.ref(await partners.load(runtime, user.partner_id))
        allowed = policy.can_manage_users_of(caller.actor, ref)
    else:
        allowed = policy.can_manage_caf_agents(caller.actor, user.caf_code or "")
    await audit.authorize(runtime, caller, allowed, action, partner_id=user.partner_id, target=str(user.id))


async def _create(
    runtime: ServiceRuntime,
    caller: Caller,
    data: UserInput,
    *,
    partner_id: uuid.UUID | None,
    caf_code: str | None,
    caf_roles: list[str],
    identifier: str | None = None,
) -> dict[str, Any]:
    now = runtime.clock.now()
    email, phone, opening = _checked(data, paris_today(now))
    async with runtime.unit_of_work() as uow:
        same_mail = sa.select(UserAccount.id).where(UserAccount.email == email)
        same_mail = (
            same_mail.where(UserAccount.partner_id == partner_id)
            if partner_id
            else same_mail.where(UserAccount.caf_code == caf_code, UserAccount.partner_id.is_(None))
        )
        if (await uow.session.execute(same_mail)).first():
            raise conflict(f"L'adresse {email} est déjà utilisée par un autre compte.", "email")
        identifier = identifier or new_identifier()
        while (
            await uow.session.execute(sa.select(UserAccount.id).where(UserAccount.identifier == identifier))
        ).first():
            identifier = new_identifier()
        user = UserAccount(
            id=uuid.uuid4(),
            identifier=identifier,
            last_name=data.last_name,
            first_name=data.first_name,
            email=email,
            phone=phone,
            mobility=data.mobility,
            opening_date=opening,
            closing_date=data.closing_date,
            partner_id=partner_id,
            caf_code=caf_code,
            kind="caf" if caf_code else "partner",
            caf_roles=",".join(caf_roles),
            status="en_attente",
        )
        uow.session.add(user)
        uow.publish(
            UserCreatedV1(
                user_id=user.id,
                identifier=identifier,
                last_name=user.last_name,
                first_name=user.first_name,
                email=email,
                partner_id=partner_id,
                caf_code=caf_code,
                mobility=user.mobility,
                opening_date=opening,
                closing_date=user.closing_date,
            ),
            subject=str(user.id),
            aggregate_version=1,
        )
        await links.send_activation(uow, runtime, user)
        audit.record(
            uow,
            runtime,
            caller,
            "user.create",
            partner_id=partner_id,
            target=str(user.id),
            detail={"identifiant": identifier, "email": email},
        )
    return view(user)


async def create_partner_user(
    runtime: ServiceRuntime, caller: Caller, partner_id: uuid.UUID, data: UserInput, identifier: str | None = None
) -> dict[str, Any]:
    partner = await partners.load(runtime, partner_id)
    await audit.authorize(
        runtime,
        caller,
        policy.can_manage_users_of(caller.actor, partners.ref(partner)),
        "user.create",
        partner_id=partner_id,
    )
    return await _create(
        runtime, caller, data, partner_id=partner_id, caf_code=None, caf_roles=[], identifier=identifier
    )


async def create_caf_agent(
    runtime: ServiceRuntime, caller: Caller, caf_code: str, data: CafAgentInput, identifier: str | None = None
) -> dict:
    await audit.authorize(
        runtime, caller, policy.can_manage_caf_agents(caller.actor, caf_code), "caf_agent.create", target=caf_code
    )
    if caf_code != NATIONAL_CODE and caf_code not in CAFS:
        raise invalid("caf", f"Caf inconnue : {caf_code} (code à trois chiffres, 000 pour la Cnaf).")
    if "parametrage_national" in data.caf_roles and caf_code != NATIONAL_CODE:
        raise invalid("roles_caf", "Le paramétrage national est réservé aux agents de la Cnaf.")
    return await _create(
        runtime, caller, data, partner_id=None, caf_code=caf_code, caf_roles=list(data.caf_roles), identifier=identifier
    )


async def update(runtime: ServiceRuntime, caller: Caller, user_id: uuid.UUID, data: UserInput) -> dict[str, Any]:
    current = await load(runtime, user_id)
    await _may_manage(runtime, caller, current, "user.update")
    email, phone, opening = _checked(data, current.opening_date or paris_today(runtime.clock.now()))
    async with runtime.unit_of_work() as uow:
        clash = sa.select(UserAccount.id).where(
            UserAccount.email == email, UserAccount.id != user_id, UserAccount.partner_id == current.partner_id
        )
        if current.partner_id and (await uow.session.execute(clash)).first():
            raise conflict(f"L'adresse {email} est déjà utilisée par un autre compte.", "email")
        user = await uow.session.get(UserAccount, user_id)
        user.last_name, user.first_name, user.email, user.phone = data.last_name, data.first_name, email, phone
        user.mobility, user.opening_date, user.closing_date = data.mobility, opening, data.closing_date
        user.version += 1
        uow.publish(
            UserUpdatedV1(
                user_id=user.id,
                last_name=user.last_name,
                first_name=user.first_name,
                email=email,
                mobility=user.mobility,
                opening_date=opening,
                closing_date=user.closing_date,
            ),
            subject=str(user.id),
            aggregate_version=user.version,
        )
        audit.record(uow, runtime, caller, "user.update", partner_id=user.partner_id, target=str(user.id))
    return view(user)


async def close(runtime: ServiceRuntime, caller: Caller, user_id: uuid.UUID, closing: date | None) -> dict:
    current = await load(runtime, user_id)
    await _may_manage(runtime, caller, current, "user.close")
    today = paris_today(runtime.clock.now())
    closing = closing or today
    if current.opening_date and closing < current.opening_date:
        raise invalid("date_fermeture", "La date de fermeture doit être postérieure ou égale à la date d'ouverture.")
    async with runtime.unit_of_work() as uow:
        user = await uow.session.get(UserAccount, user_id)
        user.closing_date, user.version = closing, user.version + 1
        if closing <= today:
            user.status = "clos"
            await sessions.revoke_all(uow, runtime, user.id, "closure")
        await _end_memberships(uow.session, user.id, closing)
        uow.publish(
            UserClosedV1(user_id=user.id, partner_id=user.partner_id, closing_date=closing),
            subject=str(user.id),
            aggregate_version=user.version,
        )
        audit.record(
            uow,
            runtime,
            caller,
            "user.close",
            partner_id=user.partner_id,
            target=str(user.id),
            detail={"date_fermeture": closing},
        )
    return view(user)


async def _end_memberships(session, user_id: uuid.UUID, end: date) -> None:
    rows = (
        await session.execute(
            sa.select(GroupMembership).where(
                GroupMembership.user_id == user_id,
                sa.or_(GroupMembership.end_date.is_(None), GroupMembership.end_date > end),
            )
        )
    ).scalars()
    for membership in rows:
        membership.end_date = end


async def of_partner(runtime: ServiceRuntime, caller: Caller, partner_id: uuid.UUID) -> list[dict[str, Any]]:
    partner = await partners.load(runtime, partner_id)
    actor = caller.actor
    allowed = policy.can_manage_users_of(actor, partners.ref(partner)) or policy.can_read_audit_of(
        actor, partners.ref(partner)
    )
    await audit.authorize(runtime, caller, allowed, "user.list", partner_id=partner_id)
    async with runtime.db.sessions() as session:
        users = (
            (
                await session.execute(
                    sa.select(UserAccount)
                    .where(UserAccount.partner_id == partner_id)
                    .order_by(UserAccount.last_name, UserAccount.first_name)
                )
            )
            .scalars()
            .all()
        )
        memberships = (
            (await session.execute(sa.select(GroupMembership).where(GroupMembership.partner_id == partner_id)))
            .scalars()
            .all()
        )
    return [view(u, [m for m in memberships if m.user_id == u.id]) for u in users]
