"""Who may do what here: the caller's grant lines read once (one query), and the domain's policy asked
(``domain.access_policy``), for the API, the pages and the bus alike.

The lines are declaration's own copy of habilitation's (``afas_shared.read_models.grant_lines`` applies its events):
checks never call habilitation, so a declaration keeps working while it is down, and a revocation reaches this copy
through ``GrantEndedV1`` within a second.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from afas_declaration.adapters.tables import ActivityCopy, Declaration, GrantLine
from afas_declaration.application.errors import Forbidden
from afas_declaration.domain.access_policy import Access, Action, ActivityTarget, Standing
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import paris_today
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.habilitation import GrantEndedV1, GrantRejectedV1, GrantValidatedV1, RoleGrantedV1
from afas_shared.db.engine import Database
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.read_models.grant_lines import GrantLines
from afas_shared.read_models.grant_terms import GrantTerms, acting_clause
from afas_shared.runtime import ServiceRuntime

GRANT_LINES = GrantLines(GrantLine)

WHOLE_BUDGET_REFUSED = (
    "L'estimation, le droit calculé, les paiements et l'accusé de réception portent sur toute la déclaration, "
    "budget compris : ils sont réservés à l'approbateur, aux fournisseurs habilités sur toute l'activité et à la Caf."
)


# --- the copy, fed by habilitation's events -----------------------------------------------------------------------


async def on_role_granted(uow: UnitOfWork, envelope: Envelope[RoleGrantedV1]) -> None:
    await GRANT_LINES.grant(uow.session, envelope.data)


async def on_grant_validated(uow: UnitOfWork, envelope: Envelope[GrantValidatedV1]) -> None:
    await GRANT_LINES.decide(uow.session, envelope.data)


async def on_grant_rejected(uow: UnitOfWork, envelope: Envelope[GrantRejectedV1]) -> None:
    await GRANT_LINES.decide(uow.session, envelope.data)


async def on_grant_ended(uow: UnitOfWork, envelope: Envelope[GrantEndedV1]) -> None:
    await GRANT_LINES.end(uow.session, envelope.data)


# --- the questions ------------------------------------------------------------------------------------------------


# The accesses resolved during the request being served (see ``one_access_per_request``), by caller, day and the
# activity they were read for (None: all the caller's lines); None outside a request.
_Key = tuple[ForwardedCaller, date, uuid.UUID | None]
_resolved: ContextVar[dict[_Key, Access] | None] = ContextVar("afas_access", default=None)

# The columns the policy reads, fetched as plain rows: a partner's administrator may hold thousands of lines, and
# building an ORM object for each was most of the gateway's CPU per request at the deadline (issue 16's profile).
_TERMS: tuple[Any, ...] = (
    GrantLine.role,
    GrantLine.activity_id,
    GrantLine.site_id,
    GrantLine.start_date,
    GrantLine.end_date,
    GrantLine.validation,
    GrantLine.ended,
)


def _lines(*where: sa.ColumnElement[bool]) -> sa.Select:
    """The user's lines (``user_id``), ordered; built once with bound parameters, run with each request's values
    (building and keying a statement cost more than running it on the hot reads)."""
    order = (col(GrantLine.activity_id), col(GrantLine.role), col(GrantLine.site_id))
    return sa.select(*_TERMS).where(col(GrantLine.user_id) == sa.bindparam("user_id"), *where).order_by(*order)


_ALL_LINES = _lines()
_LINES_ON = _lines(col(GrantLine.activity_id) == sa.bindparam("activity_id"))  # one activity's (``activity_id``)


@contextmanager
def one_access_per_request() -> Iterator[None]:
    """Within it, a caller's access is read once and the use cases one request makes share it (the gateway opens
    one per HTTP request: a save and the estimate shown beside it, a page and the parts it shows)."""
    token = _resolved.set({})
    try:
        yield
    finally:
        _resolved.reset(token)


async def access_of(
    session: AsyncSession, caller: ForwardedCaller, today: date, activity_id: uuid.UUID | None = None
) -> Access:
    """What the caller may do today, from one read of its grant lines (a Caf agent or the operator holds none).

    With ``activity_id``, only the lines on that activity are read: what one declaration's request needs, at a cost
    that does not grow with the number of activities the caller is granted on."""
    if caller.kind != "partner" or caller.user_id is None:
        return Access(caller)
    resolved = _resolved.get()
    if resolved is not None:
        for key in ((caller, today, activity_id), (caller, today, None)):
            if key in resolved:
                return resolved[key]
    query, values = _ALL_LINES, {"user_id": caller.user_id}
    if activity_id is not None:
        query, values = _LINES_ON, values | {"activity_id": activity_id}
    access = Access.of(caller, (await session.execute(query, values)).all(), today)
    if resolved is not None:
        resolved[(caller, today, activity_id)] = access
    return access


# --- the caller's lines carried by a read statement ----------------------------------------------------------------

ROLE_SEPARATOR, LINE_SEPARATOR = "|", ","


def acting_lines_of(activity_id: Any) -> sa.ScalarSelect[Any]:
    """The lines of the user ``user_id`` acting on ``today`` on the row's activity, as one text « role|site,… »
    (NULL: none): a read statement carries them, so its rows come with the caller's rights without a second round
    trip to the database. ``acting_clause`` is the SQL twin of ``acts`` (a test holds the two equal)."""
    site = sa.func.coalesce(sa.cast(col(GrantLine.site_id), sa.String), "")
    return (
        sa.select(sa.func.aggregate_strings(col(GrantLine.role) + ROLE_SEPARATOR + site, LINE_SEPARATOR))
        .where(
            col(GrantLine.user_id) == sa.bindparam("user_id"),
            col(GrantLine.activity_id) == activity_id,
            acting_clause(GrantLine, sa.bindparam("today", type_=sa.Date)),
        )
        .scalar_subquery()
    )


@dataclass(frozen=True)
class _ActingLine:
    """A line ``acting_lines_of`` carried: acting today by construction, so only what the policy asks of it."""

    role: str
    activity_id: uuid.UUID
    site_id: uuid.UUID | None


def access_from_lines(caller: ForwardedCaller, carried: dict[uuid.UUID, str | None]) -> Access:
    """What the caller may do on the activities of ``carried`` (activity → the text ``acting_lines_of`` gave)."""
    if caller.kind != "partner" or caller.user_id is None:
        return Access(caller)
    lines = []
    for activity_id, text in carried.items():
        for line in (text or "").split(LINE_SEPARATOR):
            if line:
                role, _, site = line.partition(ROLE_SEPARATOR)
                lines.append(_ActingLine(role, activity_id, uuid.UUID(site) if site else None))
    return Access(caller, cast(tuple[GrantTerms, ...], tuple(lines)))


def remember(caller: ForwardedCaller, today: date, activity_id: uuid.UUID, access: Access) -> None:
    """An access read otherwise (a statement carried its lines) kept for the rest of the request, as ``access_of``
    keeps what it reads: the other use cases of the same request ask it again without a read."""
    resolved = _resolved.get()
    if resolved is not None:
        resolved[(caller, today, activity_id)] = access


async def standing_in(
    session: AsyncSession, runtime: ServiceRuntime, caller: ForwardedCaller, target: ActivityTarget
) -> Standing:
    """What the caller is to the activity (or declaration) ``target`` today, read in the use case's own session."""
    today = paris_today(runtime.clock.now())
    return (await access_of(session, caller, today, target.activity_id)).on(target)


def _as_user(user_id: uuid.UUID | str) -> ForwardedCaller:
    """A user asked about by id (the bus's ``may``, « Mes habilitations »): only its grant lines answer."""
    return ForwardedCaller(kind="partner", user_id=_uuid(user_id))


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
    action, activity, site = Action(action), _uuid(activity_id), _uuid(site_id) if site_id is not None else None
    async with db.sessions() as session:
        access = await access_of(session, _as_user(user_id), today, activity)
    return access.may(action, activity, site)


async def permissions_of(db: Database, user_id: uuid.UUID | str, today: date) -> list[dict[str, Any]]:
    """The user's effective grant lines today: role, activity, site (None for the whole activity)."""
    async with db.sessions() as session:
        access = await access_of(session, _as_user(user_id), today)
    return [
        {
            "role": line.role,
            "activity_id": str(line.activity_id),
            "site_id": str(line.site_id) if line.site_id else None,
        }
        for line in access.lines
    ]


async def require_whole_view(
    runtime: ServiceRuntime,
    caller: ForwardedCaller,
    *,
    activity_id: uuid.UUID | None = None,
    declaration_id: uuid.UUID | None = None,
) -> None:
    """Refuse (403) a partner user granted only some sites of the activity what covers its whole budget (estimation's
    entitlement and payments: estimation knows partners, not sites). Anyone else is left to the service that answers."""
    if caller.kind != "partner" or caller.user_id is None:
        return
    async with runtime.db.sessions() as session:
        if declaration_id is not None:
            declaration = await session.get(Declaration, declaration_id)
            activity_id = declaration.activity_id if declaration else None
        activity = await session.get(ActivityCopy, activity_id) if activity_id else None
        if activity is None:
            return
        who = await standing_in(session, runtime, caller, activity)
    require(not who.partial_provider, WHOLE_BUDGET_REFUSED)


def require(condition: bool, message: str) -> None:
    if not condition:
        raise Forbidden(message)


def _uuid(value: uuid.UUID | str) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
