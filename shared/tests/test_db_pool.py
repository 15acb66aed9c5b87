"""Under a load above the pool's size, PostgreSQL connections are opened once and kept (``Database``'s pool has no
overflow): an overflow connection was closed as soon as it was returned, so a steady load of more concurrent
requests than the pool held opened a new connection again and again (issue 16, bench-reads: 5 % of the gateway's
CPU and a backend forked by the server each time). PostgreSQL only: AFAS_TEST_DATABASE_URL."""

from __future__ import annotations

import asyncio
import os

import pytest
from sqlalchemy import event, text

from afas_shared.db.engine import Database

ADMIN_URL = os.environ.get("AFAS_TEST_DATABASE_URL")
pytestmark = pytest.mark.skipif(not ADMIN_URL, reason="needs PostgreSQL (AFAS_TEST_DATABASE_URL)")
POOL = 3
CONCURRENT = 4 * POOL  # more readers at once than the pool holds


async def test_a_load_above_the_pool_size_reuses_its_connections_and_never_exceeds_it():
    db = Database(ADMIN_URL, pool_size=POOL)
    opened: list[object] = []
    event.listen(db.engine.sync_engine, "connect", lambda dbapi_connection, _record: opened.append(dbapi_connection))
    held = 0
    most = 0

    async def read() -> None:
        nonlocal held, most
        async with db.engine.connect() as connection:
            held += 1
            most = max(most, held)
            await connection.execute(text("SELECT pg_sleep(0.01)"))
            held -= 1

    try:
        for _ in range(5):  # waves of more concurrent readers than connections
            await asyncio.gather(*(read() for _ in range(CONCURRENT)))
        assert most == POOL  # the readers beyond the pool's size waited for a connection
        assert len(opened) == POOL  # each connection opened once, then reused by every later wave
    finally:
        await db.dispose()
