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
    session: AsyncSession, model: type[SQLModel], key: Any, version: int, values: dict[str, Any]
) -> bool:
    """Insert or update the row ``key`` to ``values`` at ``version``; False (and counted) when the event was stale.

    Conditional in the database, so no interleaving of handlers can write an older version over a newer one:
    ``UPDATE … SET … WHERE pk = :key AND version < :version``; when no row is there yet, an
    ``INSERT … ON CONFLICT DO NOTHING`` (``values`` must then be the whole row), and if another transaction
    inserted it meanwhile, the conditional update once more. ``values`` may be partial for an existing row.
    """
    table = model.__table__  # type: ignore[attr-defined]
    [pk] = list(table.primary_key.columns)
    changes = {name: value for name, value in values.items() if name != pk.name} | {"version": version}
    update = sa.update(table).where(pk == key, table.c.version < version).values(**changes).returning(pk)
    applied = (await session.execute(update)).first() is not None
    if not applied and (await session.execute(sa.select(pk).where(pk == key))).first() is None:
        dialect = postgresql if session.bind.dialect.name == "postgresql" else sqlite
        insert = dialect.insert(table).values(**changes, **{pk.name: key}).on_conflict_do_nothing().returning(pk)
        applied = (await session.execute(insert)).first() is not None or (
            (await session.execute(update)).first() is not None
        )
    # The ORM may hold the row from an earlier read in this transaction: bring it up to date.
    if (held := session.identity_map.get(identity_key(model, key))) is not None:
        await session.refresh(held)
    return applied or stale()
