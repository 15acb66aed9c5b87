"""``make bench-reads``' code paths at tiny sizes (the run itself is not part of the tests): the keep-alive client
counts calls, errors and latencies of both shapes against a small local server, and the middleware costs are
measured for each of the gateway's middlewares."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the benchmarks are scripts beside the tests, not an installed package
    sys.path.insert(0, str(ROOT))

from benchmarks.read_load import http_load, middleware_costs  # noqa: E402


async def _serve(statuses: list[int]) -> asyncio.Server:
    """Answers each keep-alive request with the next status of ``statuses`` (then 200), a small JSON body."""

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                status = statuses.pop(0) if statuses else 200
                body = b'{"bonjour":"le monde"}'
                writer.write(b"HTTP/1.1 %d X\r\nContent-Length: %d\r\n\r\n%s" % (status, len(body), body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    return await asyncio.start_server(client, "127.0.0.1", 0)


async def test_the_client_counts_calls_errors_and_latencies_of_both_shapes():
    server = await _serve([200, 404, 500])
    port = server.sockets[0].getsockname()[1]
    async with server:
        closed = await http_load._run(http_load.Load(f"http://127.0.0.1:{port}/hello", {"X-Essai": "1"}, 3, 0.3))
        thinking = await http_load._run(http_load.Load(f"http://127.0.0.1:{port}/hello", {}, 4, 0.3, 0.05))
    assert closed.calls > 10 and closed.errors == 2 and len(closed.latencies_ms) == closed.calls
    assert closed.error_kinds() in ("404 × 1, 500 × 1", "500 × 1, 404 × 1")
    assert 0 < closed.p50 <= closed.percentile(99)
    assert 0 < thinking.calls < closed.calls and thinking.errors == 0


async def _serve_closing(answers: int, *, on_request: bool) -> asyncio.Server:
    """Answers ``answers`` requests per connection, then closes it: at once (idle, as a keep-alive timeout does) or
    after reading the next request without answering it (a close racing the client's request)."""

    async def client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        for _ in range(answers):
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
            await writer.drain()
        if on_request:
            await reader.readuntil(b"\r\n\r\n")
        writer.close()

    return await asyncio.start_server(client, "127.0.0.1", 0)


async def test_a_connection_the_server_closed_while_idle_is_opened_again_not_counted_as_an_error():
    for on_request in (False, True):
        server = await _serve_closing(1, on_request=on_request)
        port = server.sockets[0].getsockname()[1]
        async with server:
            result = await http_load._run(http_load.Load(f"http://127.0.0.1:{port}/", {}, 3, 0.3, 0.02))
        assert result.errors == 0 and result.calls > 3, (on_request, result.error_kinds())
        assert result.reconnections >= result.calls - 3


async def test_a_fresh_connection_closed_without_an_answer_is_still_an_error():
    server = await _serve_closing(0, on_request=True)
    port = server.sockets[0].getsockname()[1]
    async with server:
        result = await http_load._run(http_load.Load(f"http://127.0.0.1:{port}/", {}, 2, 0.2))
    assert result.calls == 0 and result.errors == 2 and result.error_kinds() == "IncompleteReadError × 2"


def test_each_middleware_of_the_gateway_gets_its_cost():
    costs = dict(middleware_costs.measure(calls=20, rounds=2))
    assert list(costs)[2:] == [name for name, _, _ in middleware_costs.MIDDLEWARES]
    assert costs["FastAPI nu, une route (temps propre)"] > 0


def test_the_cpu_a_server_spends_is_read_from_proc_with_its_children():
    import subprocess

    from benchmarks.read_load import process_cpu

    burn = (
        "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\nprint('ok', flush=True)\n"
    )
    before = process_cpu.cpu_seconds(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", burn + "time.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline() == "ok\n"  # its 0.3 s of CPU are spent
        spent = process_cpu.cpu_seconds(os.getpid()) - before
    finally:
        child.kill()
        child.wait()
    tick = 1 / os.sysconf("SC_CLK_TCK")  # /proc counts whole clock ticks; the child's own clock is finer
    assert 0.3 - 2 * tick <= spent < 10, spent
