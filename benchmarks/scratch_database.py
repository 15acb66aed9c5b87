"""Databases a benchmark makes for its run on a PostgreSQL server and drops after it, whatever happens."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from sqlalchemy.engine import make_url


def admin(server_url: str, sql: str) -> None:
    """One statement on the server's maintenance connection (CREATE/DROP DATABASE cannot run in a transaction)."""
    conninfo = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(sql)


def create(server_url: str, name: str) -> str:
    """Make database ``name`` on the server; its URL for the services (psycopg driver)."""
    admin(server_url, f'CREATE DATABASE "{name}"')
    return (
        make_url(server_url).set(drivername="postgresql+psycopg", database=name).render_as_string(hide_password=False)
    )


def drop(server_url: str, name: str) -> None:
    admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def scratch_database(server_url: str, name: str) -> Iterator[str]:
    """Database ``name`` made for the run, dropped on the way out: its URL."""
    url = create(server_url, name)
    try:
        yield url
    finally:
        drop(server_url, name)
