"""A declaration with everything around it (its activity, campaign and forms): loaded in one session as the
objects a use case changes (``load``), or read in one statement as plain rows to show it (``shown``).

What the caller may do with it is ``permissions``' to answer (the domain's ``access_policy``).
"""

from __future__ import annotations

import uuid
import weakref
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from afas_declaration.adapters.tables import ActivityCopy, Campaign, Declaration, DeclarationForm, PartnerCopy
from afas_declaration.application.errors import NotFound
from afas_declaration.application.permissions import access_from_lines, acting_lines_of, remember
from afas_declaration.domain.access_policy import Access, Standing
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.db.engine import Database
from afas_shared.read_models.user_directory import KnownUser


@dataclass
class Loaded:
    declaration: Declaration
    activity: ActivityCopy
    campaign: Campaign
    forms: list[DeclarationForm]
    access: Access | None = None  # the caller's, when ``load`` was asked its rights (``rights_of``)
    # Read with the declaration and held here: the session's identity map keeps rows only weakly, and a use case's
    # ``session.get`` of the partner or of the caller finds them there as long as they are held
    partner: PartnerCopy | None = None
    user: KnownUser | None = None

    def standing(self) -> Standing:
        """What the caller ``load`` carried the rights of is to the declaration's activity."""
        assert self.access is not None, "load(…, rights_of=…) carries the caller's rights"
        return self.access.on(self.activity)


# The declaration with its activity, campaign and partner, in one statement (they were three reads, and a fourth in
# a transmit): built once, run with each declaration's id — or with a form's id, the declaration that form belongs
# to (a save knows its form only). The rows it reads stay in the session's identity map: a use case's
# ``session.get`` of the partner (or of the caller, below) finds them there without a statement.
_WITH_CONTEXT = (
    sa.select(Declaration, ActivityCopy, Campaign, PartnerCopy)
    .outerjoin(ActivityCopy, ActivityCopy.activity_id == Declaration.activity_id)
    .outerjoin(Campaign, Campaign.id == Declaration.campaign_id)
    .outerjoin(PartnerCopy, PartnerCopy.partner_id == Declaration.partner_id)
)
_BY_ID = _WITH_CONTEXT.where(Declaration.id == sa.bindparam("declaration_id"))
_BY_FORM = _WITH_CONTEXT.where(
    Declaration.id
    == sa.select(DeclarationForm.declaration_id).where(DeclarationForm.id == sa.bindparam("form_id")).scalar_subquery()
)
# Each carrying the lines of the partner's user ``user_id`` acting on ``today`` on the declaration's activity, and
# that user as the directory knows them (the name a save or a signature records)
_LINES = acting_lines_of(Declaration.activity_id).label("lines")


def _with_user(statement: sa.Select) -> sa.Select:
    return statement.add_columns(_LINES, KnownUser).outerjoin(KnownUser, KnownUser.user_id == sa.bindparam("user_id"))


_STATEMENTS = {
    (by_form, locked, lines): _with_user(statement) if lines else statement
    for by_form, base in ((False, _BY_ID), (True, _BY_FORM))
    for locked, statement in ((False, base), (True, base.with_for_update(of=Declaration)))
    for lines in (False, True)
}
_FORMS = (
    sa.select(DeclarationForm)
    .where(DeclarationForm.declaration_id == sa.bindparam("declaration_id"))
    .order_by(DeclarationForm.kind, DeclarationForm.site_name)
)
_FORMS_LOCKED = _FORMS.with_for_update().execution_options(populate_existing=True)


async def load(
    session,
    declaration_id: uuid.UUID | None = None,
    *,
    for_update: bool = False,
    form_id: uuid.UUID | None = None,
    rights_of: tuple[ForwardedCaller, date] | None = None,
) -> Loaded:
    """The declaration ``declaration_id`` (or the one the form ``form_id`` belongs to) with its activity, campaign
    and forms, in two statements. ``for_update``: the declaration's row locked, then its forms' — the order
    ``declaration_store.load`` locks them in — so that a use case reads, checks and changes them in one unit of
    work; a row the session read before the lock is read again, fresh. ``rights_of`` (a caller and a day): that
    caller's acting lines on the activity come with the declaration (``Loaded.standing``), kept for the rest of the
    request too (``permissions.remember``): no second read of them."""
    partner = rights_of is not None and rights_of[0].kind == "partner" and rights_of[0].user_id is not None
    values: dict[str, Any] = {"declaration_id": declaration_id} if form_id is None else {"form_id": form_id}
    if partner and rights_of is not None:
        values |= {"user_id": rights_of[0].user_id, "today": rights_of[1]}
    statement = _STATEMENTS[(form_id is not None, for_update, partner)]
    if for_update:
        statement = statement.execution_options(populate_existing=True)
    row = (await session.execute(statement, values)).one_or_none()
    if row is None:
        raise NotFound("Formulaire inconnu." if form_id is not None else "Déclaration inconnue.")
    declaration, activity, campaign = row[0], row[1], row[2]
    access = None
    if rights_of is not None:
        access = access_from_lines(rights_of[0], {declaration.activity_id: row.lines if partner else None})
        remember(rights_of[0], rights_of[1], declaration.activity_id, access)
    forms = await session.execute(_FORMS_LOCKED if for_update else _FORMS, {"declaration_id": declaration.id})
    user = row.KnownUser if partner else None
    return Loaded(declaration, activity, campaign, list(forms.scalars().all()), access, row[3], user)


# --- the read path: one declaration as it is shown (its page, GET /api/v1/declarations/{id}) -------------------------


def read_session(db: Database) -> AsyncSession:
    """A session that only reads. On PostgreSQL its connection runs in autocommit: each statement is its own
    transaction, which is what READ COMMITTED gives each statement anyway (its own snapshot), without the BEGIN and
    the ROLLBACK that are two more round trips to the server on every read. SQLite keeps the service's sessions
    (their BEGIN is how its writers queue)."""
    if db.backend != "postgresql":
        return db.sessions()
    readers = _READERS.get(db)
    if readers is None:
        engine = db.engine.execution_options(isolation_level="AUTOCOMMIT")
        readers = _READERS[db] = async_sessionmaker(engine, expire_on_commit=False)
    return readers()


_READERS: weakref.WeakKeyDictionary[Database, async_sessionmaker[AsyncSession]] = weakref.WeakKeyDictionary()


def read_connection(db: Database) -> AsyncConnection:
    """A plain connection that only reads, for the hot reads (« Mes déclarations », one declaration): their statements
    are Core selects of columns and their rows plain rows, so an ORM session's unit of work, identity map and ORM
    result processing are cost without use (about a fifth of the list's CPU, profiled under bench-reads). Autocommit
    on PostgreSQL as ``read_session``'s; SQLite's own BEGIN (deferred: a reader beside the writer under WAL)."""
    if db.backend != "postgresql":
        return db.engine.connect()
    engine = _READING_ENGINES.get(db)
    if engine is None:
        engine = _READING_ENGINES[db] = db.engine.execution_options(isolation_level="AUTOCOMMIT")
    return engine.connect()


_READING_ENGINES: weakref.WeakKeyDictionary[Database, AsyncEngine] = weakref.WeakKeyDictionary()


SHOWN_COLUMNS = {
    "declaration": (
        Declaration.id,
        Declaration.exercice,
        Declaration.declaration_type,
        Declaration.activity_id,
        Declaration.caf_code,
        Declaration.state,
        Declaration.version,
        Declaration.refusal_reason,
        Declaration.complement,
    ),
    "activity": (ActivityCopy.name, ActivityCopy.family, ActivityCopy.nature),
    "campaign": (Campaign.deadline, Campaign.form_version),
    "form": (
        DeclarationForm.id,
        DeclarationForm.kind,
        DeclarationForm.site_id,
        DeclarationForm.site_name,
        DeclarationForm.requested,
        DeclarationForm.state,
        DeclarationForm.values,
        DeclarationForm.version,
        DeclarationForm.saved_by_name,
        DeclarationForm.saved_at,
        DeclarationForm.sent_back_by_name,
        DeclarationForm.sent_back_comment,
    ),
}


@dataclass(frozen=True)
class Shown:
    """A declaration, its activity, its campaign and its forms as plain rows (each part's columns as attributes,
    named as the tables name them): what showing it reads, never ORM objects a session would track."""

    declaration: SimpleNamespace
    activity: SimpleNamespace
    campaign: SimpleNamespace
    forms: list[SimpleNamespace]
    lines: str | None = None  # the lines ``shown`` was asked to carry (``permissions.acting_lines_of``)


# One statement, built once and run with each declaration's id (building and keying it cost more CPU than running
# it): the declaration joined to its activity and campaign, one row per form (none: one row)
_SHOWN = (
    sa.select(*(column.label(f"{part}__{column.key}") for part, columns in SHOWN_COLUMNS.items() for column in columns))
    .select_from(
        sa.join(Declaration, ActivityCopy, ActivityCopy.activity_id == Declaration.activity_id)
        .join(Campaign, Campaign.id == Declaration.campaign_id)
        .outerjoin(DeclarationForm, DeclarationForm.declaration_id == Declaration.id)
    )
    .where(Declaration.id == sa.bindparam("declaration_id"))
    .order_by(DeclarationForm.kind, DeclarationForm.site_name)
)


# The same, each row carrying the lines of the user ``user_id`` acting on ``today`` on the declaration's activity
_SHOWN_WITH_LINES = _SHOWN.add_columns(acting_lines_of(Declaration.activity_id).label("lines"))


async def shown(session, declaration_id: uuid.UUID, lines_of: tuple[uuid.UUID, date] | None = None) -> Shown:
    """The declaration, its activity, campaign and forms as plain rows, in one statement (``session``: a session or a
    plain connection, ``read_connection``); with ``lines_of`` (a user and a day), that user's lines acting that day
    on the declaration's activity too (``Shown.lines``)."""
    if lines_of is None:
        rows = (await session.execute(_SHOWN, {"declaration_id": declaration_id})).mappings().all()
    else:
        values = {"declaration_id": declaration_id, "user_id": lines_of[0], "today": lines_of[1]}
        rows = (await session.execute(_SHOWN_WITH_LINES, values)).mappings().all()
    if not rows:
        raise NotFound("Déclaration inconnue.")
    first = rows[0]
    parts = {part: _part(first, part, columns) for part, columns in SHOWN_COLUMNS.items() if part != "form"}
    forms = [_part(row, "form", SHOWN_COLUMNS["form"]) for row in rows if row["form__id"] is not None]
    return Shown(parts["declaration"], parts["activity"], parts["campaign"], forms, first.get("lines"))


def _part(row, part: str, columns) -> SimpleNamespace:
    return SimpleNamespace(**{column.key: row[f"{part}__{column.key}"] for column in columns})
