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

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from afas_declaration.adapters.tables import ActivityCopy, Campaign, Declaration, DeclarationForm
from afas_declaration.application.errors import NotFound
from afas_declaration.application.permissions import acting_lines_of
from afas_shared.db.engine import Database


@dataclass
class Loaded:
    declaration: Declaration
    activity: ActivityCopy
    campaign: Campaign
    forms: list[DeclarationForm]


async def load(session, declaration_id: uuid.UUID, *, for_update: bool = False) -> Loaded:
    """``for_update``: the declaration's row locked, then its forms' — the order ``declaration_store.load`` locks
    them in — so that a use case reads, checks and changes them in one unit of work; a form the session read before
    the lock is read again, fresh."""
    declaration = await session.get(Declaration, declaration_id, with_for_update=for_update)
    if declaration is None:
        raise NotFound("Déclaration inconnue.")
    activity = await session.get(ActivityCopy, declaration.activity_id)
    campaign = await session.get(Campaign, declaration.campaign_id)
    query = (
        sa.select(DeclarationForm)
        .where(DeclarationForm.declaration_id == declaration_id)
        .order_by(DeclarationForm.kind, DeclarationForm.site_name)
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    forms = (await session.execute(query)).scalars().all()
    return Loaded(declaration, activity, campaign, list(forms))


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
