"""Who may do what here, answered from declaration's own copy of habilitation's grant lines.

Checks never call habilitation: a declaration keeps working while it is down, and a revocation reaches
this copy through ``GrantEndedV1`` within a second. The rules mirror habilitation's (domain/grants.py):
a line acts from its start date to its end date included, once the Caf validated it when it needed to.
"""

from __future__ import annotations

import uuid
from datetime import date
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from afas_declaration.adapters.tables import GrantLine
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.habilitation import GrantEndedV1, GrantRejectedV1, GrantValidatedV1, RoleGrantedV1
from afas_shared.db.engine import Database
from afas_shared.messaging.unit_of_work import UnitOfWork


class Action(StrEnum):
    # French: these are API values
    saisir_activite = "saisir_activite"
    saisir_financier = "saisir_financier"
    transmettre = "transmettre"
    # Amounts of the whole activity (entitlement, payments): every role, but only on the whole activity.
    consulter_montants = "consulter_montants"


ROLES_FOR = {
    Action.saisir_activite: frozenset({"fda", "approbateur"}),
    Action.saisir_financier: frozenset({"fdf", "approbateur"}),
    Action.transmettre: frozenset({"approbateur"}),
    Action.consulter_montants: frozenset({"fda", "fdf", "approbateur"}),
}
# Not yet decided, or refused by the Caf: the line never acted.
NOT_ACTING = ("pending", "rejected")


def actions_of(role: str) -> list[str]:
    """What a grant line lets its holder do (reading the amounts is a right, not an action offered)."""
    return [
        action.value
        for action, roles in ROLES_FOR.items()
        if role in roles and action is not Action.consulter_montants
    ]


# --- the read model, fed by habilitation's events -----------------------------------------------------------------


class GrantNotYetKnown(LookupError):
    """A decision or end overtook its grant (each subject has its own consumer): raised so it is retried."""


async def on_role_granted(uow: UnitOfWork, envelope: Envelope[RoleGrantedV1]) -> None:
    g = envelope.data
    # The grant is a line's first event (the others wait for it), so a replay must not undo what followed it.
    if await uow.session.get(GrantLine, g.grant_id) is None:
        uow.session.add(
            GrantLine(
                grant_id=g.grant_id,
                user_id=g.user_id,
                partner_id=g.partner_id,
                role=g.role,
                activity_id=g.activity_id,
                site_id=g.site_id,
                start_date=g.start_date,
                end_date=g.end_date,
                validation=g.validation,
            )
        )


async def on_grant_validated(uow: UnitOfWork, envelope: Envelope[GrantValidatedV1]) -> None:
    (await _known(uow, envelope.data.grant_id)).validation = "validated"


async def on_grant_rejected(uow: UnitOfWork, envelope: Envelope[GrantRejectedV1]) -> None:
    (await _known(uow, envelope.data.grant_id)).validation = "rejected"


async def on_grant_ended(uow: UnitOfWork, envelope: Envelope[GrantEndedV1]) -> None:
    line = await _known(uow, envelope.data.grant_id)
    line.ended = True
    line.end_date = min(line.end_date, envelope.data.end_date) if line.end_date else envelope.data.end_date


async def _known(uow: UnitOfWork, grant_id: uuid.UUID) -> GrantLine:
    line = await uow.session.get(GrantLine, grant_id)
    if line is None:
        raise GrantNotYetKnown(f"grant line {grant_id} not granted here yet")
    return line


# --- the questions ------------------------------------------------------------------------------------------------


def _effective(user_id: uuid.UUID, today: date) -> sa.Select:
    return sa.select(GrantLine).where(
        GrantLine.user_id == user_id,
        sa.not_(GrantLine.ended),
        GrantLine.start_date <= today,
        sa.or_(GrantLine.end_date.is_(None), GrantLine.end_date >= today),
        GrantLine.validation.not_in(NOT_ACTING),
    )


async def may(
    db: Database,
    user_id: uuid.UUID | str,
    action: Action | str,
    activity_id: uuid.UUID | str,
    site_id: uuid.UUID | str | None,
    today: date,
) -> bool:
    """Whether the user may do ``action`` on the activity (on one of its sites when ``site_id`` is given) today.

    Raises ValueError for an unknown action or a malformed id.
    """
    roles = ROLES_FOR[Action(action)]
    site = _uuid(site_id) if site_id is not None else None
    query = _effective(_uuid(user_id), today).where(
        GrantLine.activity_id == _uuid(activity_id), GrantLine.role.in_(roles)
    )
    async with db.sessions() as session:
        lines = (await session.execute(query)).scalars().all()
    return any(_covers(line, site) for line in lines)


def _covers(line: GrantLine, site: uuid.UUID | None) -> bool:
    # Only the fda may be given one site; a site-less line answers for the whole activity, every site included.
    return line.site_id is None or line.site_id == site


async def permissions_of(db: Database, user_id: uuid.UUID | str, today: date) -> list[dict[str, Any]]:
    """The user's effective grant lines today: role, activity, site (None for the whole activity)."""
    query = _effective(_uuid(user_id), today).order_by(GrantLine.activity_id, GrantLine.role, GrantLine.site_id)
    async with db.sessions() as session:
        lines = (await session.execute(query)).scalars().all()
    return [
        {
            "role": line.role,
            "activity_id": str(line.activity_id),
            "site_id": str(line.site_id) if line.site_id else None,
        }
        for line in lines
    ]


def _uuid(value: uuid.UUID | str) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
