"""Pooled PostgreSQL connections the server closed (a restart, a terminated backend) are replaced at checkout
without a ping per checkout (``afas_shared.db.liveness``): the requests after a restart get working connections.
PostgreSQL only: AFAS_TEST_DATABASE_URL."""

from __future__ import annotations

import asyncio
import os

import psycopg
import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from afas_shared.db.engine import Database

ADMIN_URL = os.environ.get("AFAS_TEST_DATABASE_URL")
pytestmark = pytest.mark.skipif(not ADMIN_URL, reason="needs PostgreSQL (AFAS_TEST_DATABASE_URL)")
POOL = 3


async def _backends(db: Database) -> set[int]:
    """The server pids behind ``POOL`` connections held at once (so many pooled connections, each used)."""
    connections = [await db.engine.connect() for _ in range(POOL)]
    try:
        return {(await c.execute(text("SELECT pg_backend_pid()"))).scalar_one() for c in connections}
    finally:
        for c in connections:
            await c.close()


async def _terminate(pids: set[int]) -> None:
    """What a restart does to each backend: its FATAL message, then the connection closed by the server."""
    plain = make_url(ADMIN_URL).set(drivername="postgresql").render_as_string(hide_password=False)
    async with await psycopg.AsyncConnection.connect(plain, autocommit=True) as admin:
        for pid in pids:
            await admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(100):  # until the server has let them go
            cursor = await admin.execute("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(%s)", (list(pids),))
            if (await cursor.fetchone())[0] == 0:
                return
            await asyncio.sleep(0.05)


async def test_connections_the_server_closed_are_replaced_at_checkout_without_a_ping():
    db = Database(ADMIN_URL, pool_size=POOL)
    statements: list[str] = []
    event.listen(db.engine.sync_engine, "before_cursor_execute", lambda c, cur, sql, *a: statements.append(sql))
    try:
        first = await _backends(db)
        assert len(first) == POOL
        statements.clear()
        async with db.sessions() as session:  # a checkout sends the session's statement, no ping before it
            assert (await session.execute(text("SELECT 41 + 1"))).scalar_one() == 42
        assert statements == ["SELECT 41 + 1"]
        await _terminate(first)
        # Every pooled connection was closed by the server: each request after it still gets a working one
        again = await _backends(db)
        assert len(again) == POOL and not again & first
        async with db.transaction() as session:
            assert (await session.execute(text("SELECT 1"))).scalar_one() == 1
        assert await db.ping()
    finally:
        await db.dispose()
