"""Alembic, driven from code: each service keeps its scripts in ``<package>/migrations``.

Replicas starting together migrate one at a time: on PostgreSQL the migration transaction first takes a
transaction-scoped advisory lock (:data:`ADVISORY_LOCK`, scoped to the service's own database), so the
second replica waits, then reads the version the first one committed and has nothing left to do (without
it, both created the same tables and one failed with ``UniqueViolation``). On SQLite, where the database
is a file on one machine, an exclusive ``flock`` on ``<file>.migrate.lock`` beside it does the same for
every process that can open the file (SQLite runs DDL outside transactions under pysqlite, so two
migrators would otherwise both try ``CREATE TABLE``).
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path

from alembic import command, context
from alembic.config import Config
from sqlalchemy import engine_from_config, pool, text
from sqlalchemy.engine import make_url

from afas_shared.db.engine import backend_name, sync_url

# pg_advisory_xact_lock(int, int): the two-int key space, apart from the consumers' one-bigint aggregate locks.
ADVISORY_LOCK = (0x41464153, 1)  # "AFAS", migrations


def alembic_config(package: str, database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(files(package) / "migrations"))
    cfg.set_main_option("sqlalchemy.url", sync_url(database_url).replace("%", "%%"))
    return cfg


@contextmanager
def _sqlite_file_lock(database_url: str) -> Iterator[None]:
    path = make_url(database_url).database
    if not path or path == ":memory:":
        yield
        return
    lock_path = Path(f"{path}.migrate.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, even if the process dies
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def upgrade(package: str, database_url: str, revision: str = "head") -> None:
    if backend_name(database_url) == "sqlite":
        with _sqlite_file_lock(database_url):
            command.upgrade(alembic_config(package, database_url), revision)
    else:  # the advisory lock is taken inside the migration transaction (run_env)
        command.upgrade(alembic_config(package, database_url), revision)


def run_env() -> None:
    """Body of every service's ``migrations/env.py`` (online mode only: we always have a database)."""
    cfg = context.config
    connectable = engine_from_config(
        cfg.get_section(cfg.config_ini_section, {}), prefix="sqlalchemy.", poolclass=pool.NullPool
    )
    with connectable.connect() as connection:
        # batch mode lets later ALTERs work on SQLite too
        context.configure(connection=connection, render_as_batch=True)
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Before alembic reads the current version: another replica's migration finishes first.
                key = {"a": ADVISORY_LOCK[0], "b": ADVISORY_LOCK[1]}
                connection.execute(text("SELECT pg_advisory_xact_lock(:a, :b)"), key)
            context.run_migrations()
