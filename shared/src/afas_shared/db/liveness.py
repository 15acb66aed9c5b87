"""A pooled PostgreSQL connection checked at checkout without a round trip to the server.

``pool_pre_ping`` sent a query on every checkout: a round trip for each session of each request (issue 16). An idle
connection has nothing to read — the platform never LISTENs — so the socket is looked at instead: when PostgreSQL
restarts or terminates a backend it sends its FATAL message and closes the connection, which makes the socket
readable; such a connection (or one libpq already knows broken) is dropped at checkout and the pool opens a fresh
one, so the first request after a restart gets a working connection as it did with the ping. A connection that
lived ``RECYCLE_SECONDS`` is replaced too (a peer that vanished without closing, a network device's idle timeout).
"""

from __future__ import annotations

import select
from typing import Any

from psycopg import pq
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import AsyncEngine

RECYCLE_SECONDS = 1800


def closed_by_server(pgconn: Any) -> bool:
    """Whether an idle libpq connection is no longer usable: known broken, or with something to read (the server's
    goodbye, or the end of the stream) where an idle connection has nothing."""
    if pgconn.status != pq.ConnStatus.OK:
        return True
    try:
        readable, _, _ = select.select([pgconn.socket], [], [], 0)
    except (OSError, ValueError):  # no socket any more
        return True
    return bool(readable)


def _check_at_checkout(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    if closed_by_server(dbapi_connection.driver_connection.pgconn):
        # The pool discards this connection and checks out another (a fresh one when none is left)
        raise DisconnectionError("connection closed by the server")


def watch(engine: AsyncEngine) -> None:
    """Check each PostgreSQL connection of ``engine`` as it leaves the pool."""
    event.listen(engine.sync_engine, "checkout", _check_at_checkout)
