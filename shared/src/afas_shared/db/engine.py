"""One async engine per service database; SQLite file by default, PostgreSQL by URL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

from afas_shared.db import liveness


def _with_driver(url: str, sqlite_driver: str, pg_driver: str) -> str:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return parsed.set(drivername=f"sqlite+{sqlite_driver}" if sqlite_driver else "sqlite").render_as_string(
            hide_password=False
        )
    if backend in ("postgresql", "postgres"):
        return parsed.set(drivername=f"postgresql+{pg_driver}").render_as_string(hide_password=False)
    raise ValueError(f"unsupported database URL scheme {parsed.drivername!r} (use sqlite:// or postgresql://)")


def async_url(url: str) -> str:
    return _with_driver(url, "aiosqlite", "psycopg")


def sync_url(url: str) -> str:
    # psycopg 3 serves both the async engine and alembic's synchronous run.
    return _with_driver(url, "", "psycopg")


def backend_name(url: str) -> str:
    return "postgresql" if make_url(url).get_backend_name() in ("postgresql", "postgres") else "sqlite"


# An execution option of the write sessions: the begin event reads it to take SQLite's write lock at once.
_WRITE = "afas_write_transaction"


def _sqlite_connection_setup(busy_timeout_ms: int) -> Callable[[Any, Any], None]:
    def setup(dbapi_conn: Any, _record: Any) -> None:
        # The driver's own implicit BEGIN is deferred: it takes the write lock only at the first write, and a read
        # transaction that upgrades while another writer holds the lock fails at once ("database is locked"),
        # whatever the busy timeout. The begin event below emits BEGIN itself instead.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        # WAL lets readers run beside the writer and triples single-row commit rates (stack notes).
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    return setup


def _sqlite_begin(conn: Connection) -> None:
    # A unit of work takes the write lock at its start, so concurrent writers queue (up to the busy timeout)
    # instead of failing; plain read sessions stay deferred and run beside the writer under WAL.
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get(_WRITE) else "BEGIN")


class _WriterQueue:
    """The writers of one event loop, one at a time, and which task holds the turn."""

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.owner: asyncio.Task[object] | None = None


class Database:
    """Owns the engine and hands out sessions; ``transaction()`` is the unit of work."""

    def __init__(self, url: str, *, pool_size: int = 10, busy_timeout_seconds: float = 10.0) -> None:
        self.url = url
        self.backend = backend_name(url)
        if self.backend == "sqlite":
            path = make_url(url).database
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine: AsyncEngine = create_async_engine(async_url(url))
            event.listen(
                self.engine.sync_engine, "connect", _sqlite_connection_setup(round(busy_timeout_seconds * 1000))
            )
            event.listen(self.engine.sync_engine, "begin", _sqlite_begin)
        else:
            # No pre-ping (a round trip per checkout): a connection the server closed is seen on its socket.
            # ``pool_size`` connections at most, each kept once opened, and no overflow: an overflow connection is
            # closed as soon as it is returned, so under a steady load above the pool's size (bench-reads at 50
            # connections, 10 + 10 before) many requests opened a PostgreSQL connection — its startup and
            # authentication in the gateway (5 % of its CPU, profiled) and a backend forked by the server each time.
            # A request beyond the pool's size waits its turn for a connection instead. Ten, as many as were kept
            # before: keeping twenty per service used up the server's 100 connections beside the benchmark's
            # baseline and the tests' platforms; ten at once are more than two cores serve in parallel.
            self.engine = create_async_engine(
                async_url(url), pool_size=pool_size, max_overflow=0, pool_recycle=liveness.RECYCLE_SECONDS
            )
            liveness.watch(self.engine)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._write_sessions = async_sessionmaker(self.engine, expire_on_commit=False, execution_options={_WRITE: True})
        # SQLite has one writer at a time. Within a process its units of work queue here, in order and without a
        # deadline, instead of in SQLite's busy handler, which polls and gives up after the busy timeout: at a
        # deadline peak twenty flows of writes made it answer "database is locked" (issue 16). The busy timeout
        # is then only for writers of other processes (a second worker, a command-line tool).
        self._writer_queues: dict[asyncio.AbstractEventLoop, _WriterQueue] = {}

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self._one_writer(), self._write_sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def _one_writer(self) -> AsyncIterator[None]:
        if self.backend != "sqlite":  # PostgreSQL locks rows, not the database: writers run side by side
            yield
            return
        loop = asyncio.get_running_loop()
        queue = self._writer_queues.get(loop)
        if queue is None:  # one per event loop: a lock belongs to the loop it first waited in
            self._writer_queues = {other: q for other, q in self._writer_queues.items() if not other.is_closed()}
            queue = self._writer_queues[loop] = _WriterQueue()
        task = asyncio.current_task()
        if queue.owner is task and task is not None:
            # A unit of work opened inside another by the same task would wait for itself for ever
            raise RuntimeError("nested write transaction on SQLite: the outer one holds the only write lock")
        async with queue.lock:
            queue.owner = task
            try:
                yield
            finally:
                queue.owner = None

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()
