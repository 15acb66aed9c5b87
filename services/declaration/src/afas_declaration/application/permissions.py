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
from afas_shared.read_models.versioned import stale


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


# A decision or an end may overtake its grant (each event type has its own consumer, and a backlog may hold the
# grant longer than the retries last): it is kept on a line of its own that cannot act — it starts on the last day
# representable, and has no role — until the grant arrives and fills it in, keeping what was decided.
NOT_YET_GRANTED = date.max
_NO_PARTNER = uuid.UUID(int=0)


async def on_role_granted(uow: UnitOfWork, envelope: Envelope[RoleGrantedV1]) -> None:
    g = envelope.data
    line = await uow.session.get(GrantLine, g.grant_id)
    if line is not None and line.start_date == NOT_YET_GRANTED:
        # Decided before it arrived here: the grant's data, with the decision (validation, end) kept.
        line.user_id, line.partner_id, line.role = g.user_id, g.partner_id, g.role
        line.activity_id, line.site_id, line.start_date = g.activity_id, g.site_id, g.start_date
        if g.end_date is not None:
            line.end_date = min(line.end_date, g.end_date) if line.end_date else g.end_date
        if line.validation not in ("validated", "rejected"):
            line.validation = g.validation
        return
    # Otherwise the grant is a line's first event, so a replay (even under a new id) must not undo what followed it.
    if line is not None:
        stale()
        return
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
    _decide(await _known(uow, envelope), "validated")


async def on_grant_rejected(uow: UnitOfWork, envelope: Envelope[GrantRejectedV1]) -> None:
    _decide(await _known(uow, envelope), "rejected")


def _decide(line: GrantLine, validation: str) -> None:
    if line.validation == validation:
        stale()  # decided so already: a replay, a counted no-op
    else:
        line.validation = validation


async def on_grant_ended(uow: UnitOfWork, envelope: Envelope[GrantEndedV1]) -> None:
    line, end = await _known(uow, envelope), envelope.data.end_date
    if line.ended and line.end_date is not None and line.end_date <= end:
        stale()  # ended as early already: a replay, a counted no-op
        return
    line.ended = True
    line.end_date = min(line.end_date, end) if line.end_date else end


async def _known(uow: UnitOfWork, envelope: Envelope[GrantValidatedV1 | GrantRejectedV1 | GrantEndedV1]) -> GrantLine:
    """The line the event is about; one that cannot act yet when the decision overtook the grant."""
    d = envelope.data
    line = await uow.session.get(GrantLine, d.grant_id)
    if line is None:
        line = GrantLine(
            grant_id=d.grant_id,
            user_id=d.user_id,
            partner_id=_NO_PARTNER,
            role="",
            activity_id=d.activity_id,
            start_date=NOT_YET_GRANTED,
            validation="pending",
        )
        uow.session.add(line)
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
