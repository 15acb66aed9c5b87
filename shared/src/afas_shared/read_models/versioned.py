"""Read models fed by events: apply a change only if it is newer than what is stored.

Delivery order is not trusted; ``aggregate_version`` decides (a stale or repeated event is a no-op).

Ordering of one aggregate's events is guaranteed in two layers (``afas_shared.messaging.consumer``):
the idempotent consumer handles the events of one aggregate (the envelope's ``subject``) one at a
time in a process and, on PostgreSQL, under a transaction-scoped advisory lock on that aggregate, so
a handler's read-compare-write never interleaves with another replica's. On top, the write here is
conditional in the database (``UPDATE … WHERE version < :v``, or an insert of an absent row). An event
older than what the read model holds is a no-op that is **counted**: a handler that finds it stale
calls :func:`stale` (``apply_versioned`` does), and the consumer counts it in
``afas_events_stale_total{consumer}`` and as outcome ``stale``.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextvars import ContextVar
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key
from sqlmodel import SQLModel

# Set by the consumer for each message it handles: a one-element list the handler marks.
_stale_mark: ContextVar[list[bool] | None] = ContextVar("afas_stale_mark", default=None)


def stale() -> bool:
    """Mark the event being handled as older than the read model (a counted no-op); returns False."""
    mark = _stale_mark.get()
    if mark is not None:
        mark[0] = True
    return False


def watch_stale() -> tuple[list[bool], Any]:
    """For the consumer: a fresh mark for one message, and the token to reset it."""
    mark = [False]
    return mark, _stale_mark.set(mark)


def reset_stale(token: Any) -> None:
    _stale_mark.reset(token)


async def apply_versioned(
    session: AsyncSession,
    model: type[SQLModel],
    key: Any,
    version: int,
    values: dict[str, Any],
    *,
    version_column: str = "version",
    new_row: dict[str, Any] | None = None,
) -> bool:
    """Insert or update the row ``key`` to ``values`` at ``version``; False (and counted) when the event was stale.

    Conditional in the database, so no interleaving of handlers can write an older version over a newer one:
    ``UPDATE … SET … WHERE pk = :key AND version < :version``; when no row is there yet, an
    ``INSERT … ON CONFLICT DO NOTHING`` (``values`` and ``new_row`` must then make the whole row), and if another
    transaction inserted it meanwhile, the conditional update once more. ``values`` may be partial for an existing
    row. ``version_column`` is the version of the group of fields ``values`` belongs to (see :func:`apply_groups`).
    """
    return bool(await apply_groups(session, model, key, version, {version_column: values}, new_row))


async def apply_groups(
    session: AsyncSession,
    model: type[SQLModel],
    key: Any,
    version: int,
    groups: dict[str, dict[str, Any]],
    new_row: dict[str, Any] | None = None,
) -> list[str]:
    """Apply an event to a read model fed by several event types: each group of fields on its own version.

    A read model fed by events that carry different fields of one aggregate keeps one version column per group of
    fields (``groups`` maps a version column to the event's values of that group). Each group is applied
    conditionally on its own version, so an event never loses its information to a newer event of another type
    that arrived first (``ActivityClosed`` v3 before ``ActivityUpdated`` v2: the closure is kept and the name of
    v2 applied). An absent row is inserted with every group at ``version``, completed by ``new_row``. Returns the
    version columns applied; none means the event was stale, a counted no-op.
    """
    table = model.__table__  # type: ignore[attr-defined]
    [pk] = list(table.primary_key.columns)
    changes = {
        column: {name: value for name, value in values.items() if name != pk.name} | {column: version}
        for column, values in groups.items()
    }
    updates = {
        column: sa.update(table).where(pk == key, table.c[column] < version).values(**values).returning(pk)
        for column, values in changes.items()
    }

    async def update() -> list[str]:
        return [column for column, stmt in updates.items() if (await session.execute(stmt)).first() is not None]

    applied = await update()
    if not applied and (await session.execute(sa.select(pk).where(pk == key))).first() is None:
        row = dict(new_row or {})
        for values in changes.values():
            row |= values
        # The service's sessions are bound to its engine
        dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite  # type: ignore[union-attr]
        insert = dialect.insert(table).values(**row, **{pk.name: key}).on_conflict_do_nothing().returning(pk)
        # Inserted meanwhile by another transaction: the conditional updates once more.
        applied = list(changes) if (await session.execute(insert)).first() is not None else await update()
    # The ORM may hold the row from an earlier read in this transaction: bring it up to date.
    if (held := session.identity_map.get(identity_key(model, key))) is not None:
        await session.refresh(held)
    if not applied:
        stale()
    return applied


async def apply_groups_batch(
    session: AsyncSession, model: type[SQLModel], changes: Sequence[tuple[Any, int, dict[str, dict[str, Any]]]]
) -> list[list[str]]:
    """:func:`apply_groups` for several events at once (a consumer's batch, in stream order; several may change one
    row): for each ``(key, version, groups)`` the version columns it applies, as applying them one after the other
    would — none: stale, counted. Two statements whatever their number: the rows' versions read once, then one
    multi-row upsert whose every group is still conditional on its own version in the database
    (``ON CONFLICT … DO UPDATE SET col = CASE WHEN version < excluded.version …``). A new row's first event must
    make the whole row, as for :func:`apply_groups`."""
    if not changes:
        return []
    table = model.__table__  # type: ignore[attr-defined]
    [pk] = list(table.primary_key.columns)
    columns = sorted({column for _, _, groups in changes for column in groups})
    held_query = sa.select(pk, *(table.c[c] for c in columns)).where(pk.in_({key for key, _, _ in changes}))
    held = {row[0]: dict(zip(columns, row[1:], strict=True)) for row in (await session.execute(held_query)).all()}
    # The rows as the events leave them, in order: per row, each group's latest values and version.
    final: dict[Any, dict[str, Any]] = {}
    applied: list[list[str]] = []
    for key, version, groups in changes:
        versions = held.setdefault(key, dict.fromkeys(columns, -1))
        row = final.setdefault(key, {pk.name: key})
        done = [column for column in groups if versions.get(column, -1) < version]
        for column in done:
            versions[column] = version
            row |= {name: value for name, value in groups[column].items() if name != pk.name} | {column: version}
        applied.append(done)
        if not done:
            stale()
    rows = [row for row in final.values() if len(row) > 1]
    if rows:
        await session.execute(_conditional_upsert(session, table, pk, rows, changes))
    for key in final:  # the ORM may hold a row from an earlier read in this transaction: bring it up to date
        if (kept := session.identity_map.get(identity_key(model, key))) is not None:
            await session.refresh(kept)
    return applied


def _conditional_upsert(
    session: AsyncSession, table: sa.Table, pk: sa.Column, rows: list[dict[str, Any]], changes: Sequence[Any]
) -> Any:
    """One INSERT of ``rows`` (all with the same columns: a new row's first event made it whole); a row already there
    takes each group's values only where its version is newer than the one it holds."""
    group_of = {name: column for _, _, groups in changes for column, values in groups.items() for name in values}
    group_of |= {column: column for _, _, groups in changes for column in groups}
    names = sorted({name for row in rows for name in row} - {pk.name})
    dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite  # type: ignore[union-attr]
    insert = dialect.insert(table).values([{pk.name: row[pk.name]} | {n: row.get(n) for n in names} for row in rows])
    set_ = {
        name: sa.case(
            (table.c[group_of[name]] < insert.excluded[group_of[name]], insert.excluded[name]), else_=table.c[name]
        )
        for name in names
    }
    # Every CASE reads the row as it was before this statement, its version columns included
    return insert.on_conflict_do_update(index_elements=[pk], set_=set_)
