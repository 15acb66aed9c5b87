"""Erasing a closed account's personal data where the law allows (a data-protection request, ``afas account
erase``): the operator alone, an account closed first.

What goes: the names, the e-mail address, the phone number, the password's hash — replaced by a pseudonym
(« Anonyme », « Compte <identifiant> », an address under the reserved ``.example`` domain that no mail reaches).
The change is published as ``identity.user_updated.v1``, so every service's copy of the directory follows.
What stays, as accounting and public-funding law require: the account's id and identifiant, its dates, the
audit trail, and the declarations it signed (their transmitted snapshots are the signed record the Caf paid on).
Erasing an erased account changes nothing and publishes nothing; both are audited (``user.erase``).

Exporting a partner's data (``afas partner export``) reads every service; identity, which owns the partner and its
audit trail, records each export there first (``partner.export``: the partner's id, nothing else), so no export
leaves without its line in the trail the Caf and the operators read.
"""

from __future__ import annotations

import uuid
from typing import Any

from afas_identity.adapters.tables import Partner, UserAccount
from afas_identity.application import audit, users
from afas_identity.application.context import Caller
from afas_identity.application.errors import conflict, not_found
from afas_shared.contracts.events.identity import UserUpdatedV1
from afas_shared.runtime import ServiceRuntime

ERASED_DOMAIN = "compte-efface.example"  # RFC 2606: reserved, never delivered
ERASED_LAST_NAME = "Anonyme"


def pseudonymous_email(user_id: uuid.UUID) -> str:
    return f"efface-{user_id.hex[:12]}@{ERASED_DOMAIN}"


def is_erased(user: UserAccount) -> bool:
    return user.email == pseudonymous_email(user.id)


async def erase(runtime: ServiceRuntime, caller: Caller, user_id: uuid.UUID) -> dict[str, Any]:
    message = "Seul l'opérateur efface les données personnelles d'un compte."
    allowed = caller.actor.kind == "operator"
    await audit.authorize(runtime, caller, allowed, "user.erase", target=str(user_id), message=message)
    current = await users.load(runtime, user_id)
    if current.status != "clos":
        raise conflict("Fermez d'abord le compte : seules les données d'un compte fermé sont effacées.")
    async with runtime.unit_of_work() as uow:
        user = await uow.session.get(UserAccount, user_id, with_for_update=True)
        already = is_erased(user)
        if not already:
            user.last_name, user.first_name = ERASED_LAST_NAME, f"Compte {user.identifier}"
            user.email, user.phone, user.password_hash = pseudonymous_email(user.id), None, None
            user.version += 1
            uow.publish(
                UserUpdatedV1(
                    user_id=user.id,
                    last_name=user.last_name,
                    first_name=user.first_name,
                    email=user.email,
                    mobility=user.mobility,
                    opening_date=user.opening_date or user.created_at.date(),
                    closing_date=user.closing_date,
                ),
                subject=str(user.id),
                aggregate_version=user.version,
            )
        detail = {"deja": already}
        audit.record(uow, runtime, caller, "user.erase", partner_id=user.partner_id, target=str(user.id), detail=detail)
    return {**users.view(user), "deja": already}


async def record_export(runtime: ServiceRuntime, caller: Caller, partner_id: uuid.UUID) -> dict[str, Any]:
    """The trail's line of an export about to be read: by the operator only, of a partner that exists."""
    message = "Seul l'opérateur exporte les données d'un partenaire."
    allowed = caller.actor.kind == "operator"
    target = str(partner_id)
    await audit.authorize(
        runtime, caller, allowed, "partner.export", partner_id=partner_id, target=target, message=message
    )
    async with runtime.unit_of_work() as uow:
        if await uow.session.get(Partner, partner_id) is None:
            raise not_found("Partenaire inconnu.")
        audit.record(uow, runtime, caller, "partner.export", partner_id=partner_id, target=target)
    return {
        "date": runtime.clock.now().isoformat(),
        "acteur": str(caller.actor.user_id) if caller.actor.user_id else caller.actor.kind,
        "adresse": caller.address,
        "action": "partner.export",
        "cible": target,
        "resultat": "ok",
        "detail": {},
    }
