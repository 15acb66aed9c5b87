"""One aggregate's events handled one at a time: a keyed asyncio lock in the process, an advisory lock in PostgreSQL.

A batch holds the locks of every aggregate it touches. Every holder takes them in one global order (the key's text
in the process, the advisory key's number in the database), so two batches sharing some aggregates wait for each
other but never deadlock; a single message is a batch of one key.
"""

from __future__ import annotations

import asyncio
import hashlib
import weakref
from collections.abc import AsyncIterator, Iterable
from contextlib import AsyncExitStack, asynccontextmanager

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from afas_shared.db.engine import Database


class AggregateLocks:
    """One asyncio lock per aggregate being handled, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (None, 0))
        lock = lock or asyncio.Lock()
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users <= 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)

    @asynccontextmanager
    async def hold_all(self, keys: Iterable[str]) -> AsyncIterator[None]:
        """Every key's lock, taken in sorted order (the order every holder uses: no deadlock between batches)."""
        async with AsyncExitStack() as stack:
            for key in sorted(set(keys)):
                await stack.enter_async_context(self.hold(key))
            yield

    def __len__(self) -> int:
        return len(self._locks)

    def __contains__(self, key: object) -> bool:
        """Whether someone holds or waits for ``key``'s lock."""
        return key in self._locks


# Every consumer of one database shares its locks (several consumers feed the same read model).
_LOCKS: weakref.WeakKeyDictionary[Database, AggregateLocks] = weakref.WeakKeyDictionary()


def aggregate_locks(db: Database) -> AggregateLocks:
    return _LOCKS.setdefault(db, AggregateLocks())


def advisory_key(aggregate: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_xact_lock`` (the one-bigint key space; migrations use two ints)."""
    return int.from_bytes(
        hashlib.blake2b(f"afas-aggregate:{aggregate}".encode(), digest_size=8).digest(), "big", signed=True
    )


# One round trip for a whole batch; the ordered subquery makes PostgreSQL take the locks in ascending key order.
_LOCK_ALL = sa.text(
    "SELECT pg_advisory_xact_lock(k) FROM (SELECT k FROM unnest(CAST(:keys AS bigint[])) AS k ORDER BY k) AS ordered"
)


async def lock_in_database(session: AsyncSession, aggregates: Iterable[str]) -> None:
    """PostgreSQL: other replicas wait for these aggregates until this transaction ends (SQLite: its single write
    lock, taken by the unit of work, serialises the transactions already)."""
    keys = sorted({advisory_key(a) for a in aggregates})
    if len(keys) == 1:
        await session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": keys[0]})
    elif keys:
        await session.execute(_LOCK_ALL, {"keys": keys})
