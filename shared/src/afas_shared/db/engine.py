"""One async engine per service database; SQLite file by default, PostgreSQL by URL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine


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


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    # WAL lets readers run beside the writer and triples single-row commit rates (stack notes).
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


class Database:
    """Owns the engine and hands out sessions; ``transaction()`` is the unit of work."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.backend = backend_name(url)
        if self.backend == "sqlite":
            path = make_url(url).database
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine: AsyncEngine = create_async_engine(async_url(url))
            event.listen(self.engine.sync_engine, "connect", _sqlite_pragmas)
        else:
            self.engine = create_async_engine(
                async_url(url), pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True
            )
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session, session.begin():
            yield session

    async def ping(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    async def dispose(self) -> None:
        await self.engine.dispose()
