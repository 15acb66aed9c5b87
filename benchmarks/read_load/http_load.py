"""A lean HTTP/1.1 load generator: keep-alive connections on raw asyncio streams, spread over client processes.

httpx would spend more CPU than the servers it measures on this 2-core box; this client costs a parse of the status
line and of ``Content-Length`` per call. Two shapes: ``closed`` (each connection calls again as soon as answered:
throughput) and ``think`` (each user waits a think time between calls: latency at a realistic load).

A server closes a keep-alive connection left idle longer than its timeout (uvicorn: 5 s). With an exponential think
time of mean 2 s, one pause in twelve is longer than that: the next request was written to a closed connection and
the run counted an ``IncompleteReadError`` (50–99 per 200-user measure, the bare hello included). As a browser does,
the client opens a new connection when the server has closed the idle one, and retries once a request the server
closed without answering a byte on a reused connection (the close raced the request); both are counted as
reconnections, and the new connection's time is part of the call's latency.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import random
import statistics
import time
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlsplit

CONNECT_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class Load:
    url: str
    headers: dict[str, str]
    connections: int  # closed loop: connections; think: users
    seconds: float
    think_seconds: float = 0.0  # 0: closed loop


@dataclass
class Result:
    calls: int
    errors: int
    seconds: float
    latencies_ms: list[float]
    kinds: Counter[str] = field(default_factory=Counter)  # each error by its HTTP status or the client's exception
    reconnections: int = 0  # idle connections the server had closed, opened again

    def error_kinds(self) -> str:
        return ", ".join(f"{kind} × {count}" for kind, count in self.kinds.most_common())

    @property
    def per_second(self) -> float:
        return self.calls / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies_ms) if self.latencies_ms else float("nan")


def _request(load: Load) -> tuple[str, int, bytes]:
    parts = urlsplit(load.url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    head = [f"GET {target} HTTP/1.1", f"Host: {parts.hostname}:{parts.port}", "Connection: keep-alive"]
    head += [f"{name}: {value}" for name, value in load.headers.items()]
    return parts.hostname or "127.0.0.1", parts.port or 80, ("\r\n".join(head) + "\r\n\r\n").encode()


async def _answer(reader: asyncio.StreamReader) -> int:
    """Reads one response; its status."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def _run(load: Load) -> Result:
    host, port, request = _request(load)
    latencies: list[float] = []
    errors = reconnections = 0
    kinds: Counter[str] = Counter()
    stop = time.perf_counter() + load.seconds

    async def connect() -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.wait_for(asyncio.open_connection(host, port), CONNECT_TIMEOUT_SECONDS)

    async def user() -> None:
        nonlocal errors, reconnections
        if load.think_seconds:  # users arrive spread over a think time, not all in the same millisecond
            await asyncio.sleep(random.uniform(0, load.think_seconds))
        reader, writer = await connect()
        reused = False
        try:
            while time.perf_counter() < stop:
                started = time.perf_counter()
                if reader.at_eof():  # the server closed it while we thought (its keep-alive timeout)
                    writer.close()
                    reader, writer = await connect()
                    reconnections += 1
                    reused = False
                writer.write(request)
                try:
                    status = await _answer(reader)
                except (asyncio.IncompleteReadError, ConnectionResetError) as closed:
                    if not reused or getattr(closed, "partial", b""):
                        raise  # a fresh connection cut, or an answer cut in its middle: an error
                    writer.close()  # the close raced our request: once more on a new connection
                    reader, writer = await connect()
                    reconnections += 1
                    writer.write(request)
                    status = await _answer(reader)
                reused = True
                latencies.append((time.perf_counter() - started) * 1000)
                if status >= 400:
                    errors += 1
                    kinds[str(status)] += 1
                if load.think_seconds:
                    await asyncio.sleep(random.expovariate(1 / load.think_seconds))
        finally:
            writer.close()

    started = time.perf_counter()
    outcomes = await asyncio.gather(*(user() for _ in range(load.connections)), return_exceptions=True)
    failed = [type(o).__name__ for o in outcomes if isinstance(o, BaseException)]  # a user stopped by it
    errors += len(failed)
    kinds.update(failed)
    return Result(len(latencies), errors, time.perf_counter() - started, latencies, kinds, reconnections)


def _in_process(load: Load) -> Result:
    return asyncio.run(_run(load))


def run(load: Load, processes: int) -> Result:
    """The load spread over ``processes`` client processes (connections shared out), their results merged."""
    processes = max(1, min(processes, load.connections))
    shares = [load.connections // processes + (i < load.connections % processes) for i in range(processes)]
    loads = [Load(load.url, load.headers, share, load.seconds, load.think_seconds) for share in shares]
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        results = pool.map(_in_process, loads)
    return Result(
        calls=sum(r.calls for r in results),
        errors=sum(r.errors for r in results),
        seconds=max(r.seconds for r in results),
        latencies_ms=[ms for r in results for ms in r.latencies_ms],
        kinds=sum((r.kinds for r in results), Counter()),
        reconnections=sum(r.reconnections for r in results),
    )
