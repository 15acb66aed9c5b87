"""SQLite under concurrent units of work: writers queue for the lock instead of failing with "database is locked".

Each unit of work reads then writes, the pattern that fails at once under a deferred BEGIN when another writer holds
the lock (the read transaction cannot upgrade, whatever the busy timeout). The shared counter also shows that the
writers were serialised: a lost update would leave it short.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa

from afas_shared.db.engine import Database
from afas_shared.messaging.unit_of_work import unit_of_work
from afas_shared.settings import ServiceSettings

WRITERS = 40

_metadata = sa.MetaData()
_counter = sa.Table(
    "counter",
    _metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("value", sa.Integer, nullable=False),
)
_writes = sa.Table(
    "write_log", _metadata, sa.Column("id", sa.Integer, primary_key=True), sa.Column("writer", sa.Integer)
)


@pytest.fixture
async def sqlite_db(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'writers.db'}"
    db = Database(url, busy_timeout_seconds=ServiceSettings(database_url=url).database_busy_timeout_seconds)
    async with db.engine.begin() as conn:
        await conn.run_sync(_metadata.create_all)
        await conn.execute(sa.insert(_counter).values(id=1, value=0))
    yield db
    await db.dispose()


async def _read_then_write(db: Database, writer: int) -> None:
    async with unit_of_work(db) as uow:
        value = (await uow.session.execute(sa.select(_counter.c.value).where(_counter.c.id == 1))).scalar_one()
        await asyncio.sleep(0)  # let the other writers start their transactions between this read and the write
        await uow.session.execute(sa.update(_counter).where(_counter.c.id == 1).values(value=value + 1))
        await uow.session.execute(sa.insert(_writes).values(writer=writer))


async def test_concurrent_read_then_write_units_of_work_all_commit(sqlite_db: Database) -> None:
    results = await asyncio.gather(*(_read_then_write(sqlite_db, n) for n in range(WRITERS)), return_exceptions=True)

    failures = [r for r in results if isinstance(r, BaseException)]
    assert failures == []
    async with sqlite_db.sessions() as session:
        assert (await session.execute(sa.select(_counter.c.value))).scalar_one() == WRITERS
        assert (await session.execute(sa.select(sa.func.count()).select_from(_writes))).scalar_one() == WRITERS


async def test_a_reader_is_not_queued_behind_a_writer(sqlite_db: Database) -> None:
    # Plain sessions stay deferred: under WAL a read runs while a unit of work holds the write lock.
    async with unit_of_work(sqlite_db) as uow:
        await uow.session.execute(sa.update(_counter).values(value=99))
        async with sqlite_db.sessions() as session:
            assert (await session.execute(sa.select(_counter.c.value))).scalar_one() == 0


async def test_writers_of_one_process_queue_without_a_deadline(tmp_path: Path) -> None:
    """Twenty writers each holding the lock 50 ms with a busy timeout of 10 ms: SQLite's busy handler alone would give
    up on most of them ("database is locked"); queued in the process, they all commit, one after the other."""
    url = f"sqlite:///{tmp_path / 'queue.db'}"
    db = Database(url, busy_timeout_seconds=0.01)
    async with db.engine.begin() as conn:
        await conn.run_sync(_metadata.create_all)
        await conn.execute(sa.insert(_counter).values(id=1, value=0))

    async def slow_writer(writer: int) -> None:
        async with unit_of_work(db) as uow:
            value = (await uow.session.execute(sa.select(_counter.c.value))).scalar_one()
            await asyncio.sleep(0.05)
            await uow.session.execute(sa.update(_counter).values(value=value + 1))

    try:
        results = await asyncio.gather(*(slow_writer(n) for n in range(20)), return_exceptions=True)
        assert [r for r in results if isinstance(r, BaseException)] == []
        async with db.sessions() as session:
            assert (await session.execute(sa.select(_counter.c.value))).scalar_one() == 20
    finally:
        await db.dispose()


async def test_a_unit_of_work_opened_inside_another_is_refused_not_left_waiting(sqlite_db: Database) -> None:
    """The same task cannot get a second turn while it holds the first: an error at once, not a hang."""
    async with unit_of_work(sqlite_db):
        with pytest.raises(RuntimeError, match="nested write transaction"):
            async with unit_of_work(sqlite_db):
                pass
