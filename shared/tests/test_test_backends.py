"""A run removes every stream it made, even past the first page the server lists (256 streams)."""

from __future__ import annotations

import dataclasses
import uuid
from pathlib import Path

import nats
import psycopg
from sqlalchemy.engine import make_url

from afas_shared.testing.backends import STREAM_LIST_PAGE


async def test_remove_streams_reads_every_page(backends):
    run = dataclasses.replace(backends, run_id=f"p{uuid.uuid4().hex[:8]}")
    nc = await nats.connect(backends.nats_url)
    try:
        js = nc.jetstream()
        names = [f"{run.run_id.upper()}_{i}" for i in range(STREAM_LIST_PAGE + 20)]
        for name in names:
            await js.add_stream(name=name, subjects=[f"{name.lower()}.>"], max_msgs=1)
        assert await run.remove_streams() == len(names)
        left = []
        offset = 0
        while True:
            page = await js.streams_info(offset=offset)
            left += [i.config.name for i in page if i.config.name.startswith(run.run_id.upper())]
            if len(page) < STREAM_LIST_PAGE:
                break
            offset += len(page)
        assert left == []
    finally:
        await nc.close()


def test_a_released_database_is_dropped_before_the_run_ends(backends):
    """A finished test's databases are dropped while the run goes on (``make_settings`` hands them back)."""
    url = backends.migrated_database_url("identity")
    backends.release([url])
    backends.wait_for_releases()
    if backends.pg_admin_url is None:
        assert Path(make_url(url).database).exists()  # SQLite files stay with the run's temporary folder
        return
    admin = make_url(backends.pg_admin_url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin) as conn:
        left = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (make_url(url).database,)).fetchall()
    assert left == []
