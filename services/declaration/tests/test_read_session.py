"""The read path's sessions (``declaration_scope.read_session``): on PostgreSQL each statement runs in autocommit (no
BEGIN, no ROLLBACK round trips) and the service's other sessions keep their transactions; on SQLite, the service's
own sessions. PostgreSQL when AFAS_TEST_DATABASE_URL names one, SQLite otherwise."""

from __future__ import annotations

import os

import sqlalchemy as sa

from afas_declaration.application.declaration_scope import read_connection, read_session
from afas_shared.db.engine import Database
from afas_shared.testing.backends import Backends


def _autocommit(connection) -> bool:
    return bool(getattr(connection.sync_connection.connection.dbapi_connection, "autocommit", False))


async def test_a_read_session_reads_in_autocommit_on_postgresql_and_leaves_the_other_sessions_alone(tmp_path):
    backends = Backends(run_id="readsession", tmp=tmp_path, pg_admin_url=os.environ.get("AFAS_TEST_DATABASE_URL"))
    db = Database(backends.database_url("declaration"))
    try:
        async with db.transaction() as session:
            await session.execute(sa.text("CREATE TABLE lu (id INTEGER PRIMARY KEY, nom VARCHAR(20))"))
            await session.execute(sa.text("INSERT INTO lu VALUES (1, 'Les Lucioles')"))
        for _ in range(2):  # the second time from the pool: the reader's connection is reset when given back
            async with read_session(db) as reader:
                assert (await reader.execute(sa.text("SELECT nom FROM lu"))).scalar_one() == "Les Lucioles"
                assert _autocommit(await reader.connection()) is (db.backend == "postgresql")
            async with db.sessions() as session:
                await session.execute(sa.text("SELECT 1"))
                assert not _autocommit(await session.connection())
                assert session.in_transaction()
    finally:
        await db.dispose()
        backends.close()


async def test_a_read_connection_reads_plain_rows_in_autocommit_on_postgresql(tmp_path):
    """The hot reads' connection (``read_connection``): no ORM session, autocommit on PostgreSQL, the pool's other
    connections left in their transactions."""
    backends = Backends(run_id="readconn", tmp=tmp_path, pg_admin_url=os.environ.get("AFAS_TEST_DATABASE_URL"))
    db = Database(backends.database_url("declaration"))
    try:
        async with db.transaction() as session:
            await session.execute(sa.text("CREATE TABLE lu (id INTEGER PRIMARY KEY, nom VARCHAR(20))"))
            await session.execute(sa.text("INSERT INTO lu VALUES (1, 'Les Lucioles')"))
        for _ in range(2):
            async with read_connection(db) as reader:
                assert (await reader.execute(sa.text("SELECT nom FROM lu"))).scalar_one() == "Les Lucioles"
                assert _autocommit(reader) is (db.backend == "postgresql")
            async with db.sessions() as session:
                await session.execute(sa.text("SELECT 1"))
                assert not _autocommit(await session.connection())
    finally:
        await db.dispose()
        backends.close()
