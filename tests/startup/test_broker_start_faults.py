"""A service is never « up » and deaf: its start-up confirms with the broker that its subscriptions are in place.

Seen under load: identity logged « up » after NATS connect timeouts, its readiness said yes, and it never answered a
request — the other services waited minutes for its keys. Its subscriptions had gone down a connection that died
after its handshake, and nothing checked that the server had them. Here a TCP proxy in front of the test broker
lets a connection finish its handshake and then swallows everything both ways (a half-dead connection), and
identity, built from its real bootstrap, must either answer over the bus or stay not ready, never both up and deaf.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from urllib.parse import urlparse

import nats
import pytest

from afas_identity.bootstrap import build as build_identity
from afas_shared.bus import MAX_OUTSTANDING_PINGS
from afas_shared.testing.fixtures import eventually, running

# The services' connect timeout in these tests: the confirmation waits as long (whole seconds, as nats-py counts).
CONNECT_TIMEOUT_SECONDS = 1.0


class HalfDeadProxy:
    """Forwards NATS connections to ``target``; those ``frozen(n)`` picks (n: 1 for the first connection) get the
    server's INFO and the handshake's PONG, then nothing more in either direction, without being closed."""

    def __init__(self, target: str, frozen: Callable[[int], bool]) -> None:
        url = urlparse(target)
        self.target = (url.hostname, url.port)
        self.frozen = frozen
        self.connections = 0
        self._dead: dict[int, asyncio.Event] = {}  # per connection, by number: set once it swallows everything
        self._writers: list[asyncio.StreamWriter] = []

    def freeze(self, n: int) -> None:
        """Connection ``n`` goes dead from now on, without being closed."""
        self._dead[n].set()

    async def __aenter__(self) -> HalfDeadProxy:
        self.server = await asyncio.start_server(self._forward, "127.0.0.1", 0)
        self.url = f"nats://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"
        return self

    async def __aexit__(self, *_: object) -> None:
        self.server.close()
        for writer in self._writers:
            writer.close()

    async def _forward(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        dead = self._dead[self.connections] = asyncio.Event()
        freezes = self.frozen(self.connections)
        server_reader, server_writer = await asyncio.open_connection(*self.target)
        self._writers += [client_writer, server_writer]

        async def from_server() -> None:
            while line := await server_reader.readline():
                if dead.is_set():
                    continue  # read and dropped: the client never hears of it
                if freezes and line.startswith(b"PONG"):
                    dead.set()  # the handshake's PONG gets through; what follows does not
                client_writer.write(line)
                await client_writer.drain()

        async def from_client() -> None:
            while data := await client_reader.read(65536):
                if not dead.is_set():
                    server_writer.write(data)
                    await server_writer.drain()

        with_errors = await asyncio.gather(from_server(), from_client(), return_exceptions=True)
        del with_errors  # a connection reset at the end of the test: nothing to report


async def _status(server_url: str, subject: str, timeout: float = 5) -> bytes:
    """identity's ``status`` verb asked over a connection of our own, straight to the server (no proxy)."""
    nc = await nats.connect(server_url)
    try:
        return (await nc.request(subject, b"{}", timeout=timeout)).data
    finally:
        await nc.close()


async def test_a_subscription_connection_dead_after_its_handshake_is_replaced_before_up(
    make_settings, common_settings, caplog
):
    caplog.set_level(logging.INFO, logger="afas_shared.runtime")
    # The second connection is FastStream's, the one that carries identity's verbs (the first: the outbox relay's).
    async with HalfDeadProxy(common_settings.nats_url, lambda n: n == 2) as proxy:
        common = common_settings.model_copy(
            update={"nats_url": proxy.url, "nats_connect_timeout_seconds": CONNECT_TIMEOUT_SECONDS}
        )
        async with running(make_settings("identity", common=common)) as identity:
            assert (await identity.readiness())["broker"]
            reply = await _status(common_settings.nats_url, identity.bus.names.rpc("identity", "status", 1))
    assert b'"name":"identity"' in reply
    assert proxy.connections >= 3, "a fresh connection replaced the dead one"
    lines = [record.getMessage() for record in caplog.records]
    refused = [line for line in lines if "did not confirm this process's subscriptions" in line]
    assert refused and all(line.startswith("broker connection failed") for line in refused)
    assert sum(line.startswith("identity up") for line in lines) == 1


async def test_while_no_connection_carries_its_subscriptions_the_service_is_never_up(
    make_settings, common_settings, caplog
):
    caplog.set_level(logging.INFO, logger="afas_shared.runtime")
    async with HalfDeadProxy(common_settings.nats_url, lambda n: n >= 2) as proxy:
        common = common_settings.model_copy(
            update={"nats_url": proxy.url, "nats_connect_timeout_seconds": CONNECT_TIMEOUT_SECONDS}
        )
        identity = build_identity(make_settings("identity", common=common), configure_logs=False)
        await identity.start()
        try:
            with pytest.raises(TimeoutError):  # several attempts' worth: each gives up within the connect timeout
                await identity.wait_ready(8 * CONNECT_TIMEOUT_SECONDS)
            assert (await identity.readiness())["broker"] is False
            assert proxy.connections >= 3, "it kept trying"
        finally:
            await identity.stop()
    lines = [record.getMessage() for record in caplog.records]
    assert not any(line.startswith("identity up") for line in lines)
    assert any(line.startswith("broker connection failed") for line in lines)


async def test_a_subscription_connection_that_dies_later_is_noticed_by_its_pings_and_replaced(
    make_settings, common_settings
):
    """After start-up only the pings can tell a silent connection from an idle one: with
    AFAS_NATS_PING_INTERVAL_SECONDS the client gives it up and subscribes again on a new one."""
    ping = 1
    async with HalfDeadProxy(common_settings.nats_url, lambda n: False) as proxy:
        common = common_settings.model_copy(
            update={
                "nats_url": proxy.url,
                "nats_connect_timeout_seconds": CONNECT_TIMEOUT_SECONDS,
                "nats_ping_interval_seconds": ping,
            }
        )
        async with running(make_settings("identity", common=common)) as identity:
            subject = identity.bus.names.rpc("identity", "status", 1)
            assert b'"name":"identity"' in await _status(common_settings.nats_url, subject)
            opened = proxy.connections
            proxy.freeze(2)  # the subscriptions' connection: identity's verbs go unheard
            started = asyncio.get_running_loop().time()
            # The server still routes to the dead connection (it has not noticed either): the request goes unanswered
            with pytest.raises(nats.errors.TimeoutError):
                await _status(common_settings.nats_url, subject, timeout=1)

            async def answers() -> bool:
                try:
                    return b'"name":"identity"' in await _status(common_settings.nats_url, subject, timeout=1)
                except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
                    return False

            # MAX_OUTSTANDING_PINGS + 1 intervals to give the connection up, then the reconnection (nats-py's
            # default of 120 s x 2 would leave it deaf for minutes)
            await eventually(answers, timeout=(MAX_OUTSTANDING_PINGS + 1) * ping + 10, interval=0.2)
            deaf_for = asyncio.get_running_loop().time() - started
    assert proxy.connections > opened
    assert deaf_for < (MAX_OUTSTANDING_PINGS + 1) * ping + 10
