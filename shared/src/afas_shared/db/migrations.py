"""Alembic, driven from code: each service keeps its scripts in ``<package>/migrations``."""

from __future__ import annotations

from importlib.resources import files

from alembic import command, context
from alembic.config import Config
from sqlalchemy import engine_from_config, pool

from afas_shared.db.engine import sync_url


def alembic_config(package: str, database_url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(files(package) / "migrations"))
    cfg.set_main_option("sqlalchemy.url", sync_url(database_url).replace("%", "%%"))
    return cfg


def upgrade(package: str, database_url: str, revision: str = "head") -> None:
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
            context.run_migrations()
