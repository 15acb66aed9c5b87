"""« Mes déclarations » as SQL: each shape of the list's statements built once, then run with the request's values.

Building a SQLAlchemy statement and generating its cache key cost more CPU than the database spent running it on the
hot read (profiled under bench-reads: the scope's subquery, the page's and the forms' selects and the compiled
cache's key were a third of the list's CPU). A statement object keeps its cache key once generated, so each shape —
who asks (a Caf, a partner's user, the operator), which filters are set, whether a cursor is followed and which way —
is built once with a bound parameter for every value (``parameters`` gives them), and executed again and again.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

import sqlalchemy as sa

from afas_declaration.adapters.tables import ActivityCopy, Declaration, DeclarationForm, GrantLine, Transmission
from afas_declaration.application.keyset import (
    BACKWARD,
    FORWARD,
    Position,
    SortKey,
    as_int,
    as_str,
    as_uuid,
    counts,
    ordering,
    paged,
)
from afas_declaration.application.permissions import acting_lines_of
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.read_models.grant_terms import acting_clause

LIST_NAME = "declarations"
# The list's order: the latest exercice first, then by activity; the declaration's id makes the key unique. All
# three are the declaration's own columns (the activity's name is copied onto it): a Caf's first page is a range of
# the index (caf_code, exercice DESC, activity_name, id) that stops after the page, never a sort of the Caf's rows.
KEYS = (
    SortKey(Declaration.exercice, "exercice", as_int, descending=True),
    SortKey(Declaration.activity_name, "activite", as_str),
    SortKey(Declaration.id, "id", as_uuid),
)
# What the list may be filtered by (``declaration_list.Filters``' fields), and the column each one compares
FILTER_COLUMNS: dict[str, Any] = {
    "type_declaration": Declaration.declaration_type,
    "exercice": Declaration.exercice,
    "etat": Declaration.state,
    "activite": Declaration.activity_id,
    "type_activite": ActivityCopy.family,
    "nature": ActivityCopy.nature,
}
ACTIVITY_FILTERS = frozenset({"type_activite", "nature"})  # those that need the activity's copy joined
_CURSOR = tuple(sa.bindparam(f"cursor_{key.label}") for key in KEYS)
_PAGE_SIZE = sa.bindparam("page_size", type_=sa.Integer)

_TABLES: dict[str, sa.Table] = {
    "declaration": Declaration.__table__,  # type: ignore[attr-defined]
    "activity": ActivityCopy.__table__,  # type: ignore[attr-defined]
    "form": DeclarationForm.__table__,  # type: ignore[attr-defined]
    "transmission": Transmission.__table__,  # type: ignore[attr-defined]
}


@dataclass(frozen=True)
class Shape:
    """What decides a statement's SQL (never a value): the caller's scope, the filters set, the cursor's way."""

    scope: str  # "caf", "partner" or "operator"
    filters: tuple[str, ...] = ()  # names of the filters set, in ``FILTER_COLUMNS``' order
    cursor: str | None = None  # None: the first page; else FORWARD or BACKWARD

    @property
    def joins_activity(self) -> bool:
        return bool(ACTIVITY_FILTERS.intersection(self.filters))


def shape_of(scope: str, filters: Any, at: Position | None = None) -> Shape:
    """The shape of a request: ``filters`` a ``declaration_list.Filters`` (checked), ``at`` the page's position."""
    named = tuple(name for name in FILTER_COLUMNS if getattr(filters, name) is not None)
    cursor = None if at is None or at.key is None else (BACKWARD if at.backward else FORWARD)
    return Shape(scope, named, cursor)


def parameters(
    caller: ForwardedCaller, today: date, filters: Any, at: Position | None = None, size: int | None = None
) -> dict[str, Any]:
    """The values of a shape's bound parameters for this request (those a shape does not use are ignored)."""
    values: dict[str, Any] = {"caf_code": caller.caf_code, "user_id": caller.user_id, "today": today}
    values |= {f"filter_{f.name}": getattr(filters, f.name) for f in fields(filters)}
    if at is not None and at.key is not None:
        values |= {param.key: value for param, value in zip(_CURSOR, at.key, strict=True)}
    if size is not None:
        values["page_size"] = size
    return values


def _where(shape: Shape) -> list[Any]:
    clauses: list[Any] = []
    if shape.scope == "caf":
        clauses.append(Declaration.caf_code == sa.bindparam("caf_code"))
    elif shape.scope == "partner":
        # The activities it acts on as a subquery, not as one parameter per activity: a partner's administrator may
        # act on thousands, and a statement with thousands of parameters is parsed again on every call.
        acting = sa.select(GrantLine.activity_id).where(
            GrantLine.user_id == sa.bindparam("user_id"), acting_clause(GrantLine, sa.bindparam("today", type_=sa.Date))
        )
        clauses.append(Declaration.activity_id.in_(acting))
    return clauses + [FILTER_COLUMNS[name] == sa.bindparam(f"filter_{name}") for name in shape.filters]


def _source(joins_activity: bool) -> Any:
    if not joins_activity:
        return Declaration
    return sa.join(Declaration, ActivityCopy, ActivityCopy.activity_id == Declaration.activity_id)


def _keys(joins_activity: bool) -> sa.Select:
    """A row of the list as it is ordered and cut: its key only (read from the key's index; the rest is read for
    the page's rows); the activity joined only when a filter names its columns."""
    return sa.select(
        Declaration.id.label("id"), Declaration.exercice.label("exercice"), Declaration.activity_name.label("activite")
    ).select_from(_source(joins_activity))


@dataclass(frozen=True)
class PageStatements:
    counted: sa.Select  # the list's total (what an empty page still answers)
    keys: sa.Select  # the page's keys, with the total and the page's rank: where the list's index is read
    page: sa.Select  # the page's rows with their forms (``with_forms`` of ``keys``), a partner's lines on each
    uncounted: sa.Select  # ``page`` without the list's total (NULL): a first page whose total is known already


@functools.lru_cache(maxsize=512)
def page_statements(shape: Shape) -> PageStatements:
    """One page of the list (``page_size`` + 1 rows, to know whether another follows), built once per shape."""
    where = _where(shape)
    at = Position(shape.cursor == BACKWARD, _CURSOR if shape.cursor else None)
    counted = sa.select(sa.func.count()).select_from(_source(shape.joins_activity)).where(*where)
    total, preceding = counts(counted, KEYS, at)
    keyed = _keys(shape.joins_activity).add_columns(total.label("total"), preceding.label("precedent"))
    keys = paged(keyed.where(*where), KEYS, at, _PAGE_SIZE)
    bare = _keys(shape.joins_activity).add_columns(sa.null().label("total"), preceding.label("precedent"))
    uncounted = paged(bare.where(*where), KEYS, at, _PAGE_SIZE)
    lines = shape.scope == "partner"
    page, page_uncounted = (with_forms(select, at.backward, lines) for select in (keys, uncounted))
    return PageStatements(counted, keys, page, page_uncounted)


@functools.lru_cache(maxsize=128)
def whole_list(shape: Shape) -> sa.Select:
    """Every row of the caller's list in its order, with its forms (the views bounded by their filter)."""
    keyed = _keys(shape.joins_activity).where(*_where(shape)).order_by(*ordering(KEYS))
    return with_forms(keyed, False)


def with_forms(selected: sa.Select, backward: bool, lines: bool = False) -> sa.Select:
    """The rows of ``selected`` with what the list shows of them and their forms, in one statement: the page cut in a
    subquery on the key's columns, the shown columns and the forms joined outside it (a LIMIT on declarations, not
    on declaration × form, and asked of the page's rows only). ``lines``: each row carries the caller's lines
    acting on its activity (a partner's user: what it may do on the row, without another round trip)."""
    page = selected.subquery()
    # Core aliases of the tables, not ORM ``aliased()`` entities: adapting an ORM alias's attributes cost a quarter of
    # the list's CPU (profiled under bench-reads), and the rows read are plain rows either way
    declaration, activity = _TABLES["declaration"].alias("shown"), _TABLES["activity"].alias("shown_activity")
    form, transmission = _TABLES["form"], _TABLES["transmission"]
    carried = [acting_lines_of(declaration.c.activity_id).label("lines")] if lines else []
    return (
        sa.select(
            page,
            *carried,
            declaration.c.declaration_type,
            declaration.c.state,
            declaration.c.version,
            declaration.c.refusal_reason,
            declaration.c.caf_code,
            declaration.c.activity_id,
            activity.c.family,
            activity.c.nature,
            activity.c.sites,
            sa.exists().where(transmission.c.declaration_id == page.c.id).label("transmitted"),
            form.c.id.label("form_id"),
            form.c.kind.label("form_kind"),
            form.c.site_name.label("form_site"),
            form.c.requested.label("form_requested"),
            form.c.state.label("form_state"),
        )
        .select_from(
            page.join(declaration, declaration.c.id == page.c.id)
            .join(activity, activity.c.activity_id == declaration.c.activity_id)
            .outerjoin(form, form.c.declaration_id == page.c.id)
        )
        .order_by(*ordering(KEYS, backward=backward, source=page), form.c.kind, form.c.site_name)
    )
