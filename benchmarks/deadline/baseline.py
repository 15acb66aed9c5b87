"""The same run's baseline: what one bare FastAPI call costs on this box now (calls/s, CPU of server and client),
so that a declaration's figures read as multiples of it from run to run, whatever else the shared box is doing."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from afas_shared.local_nats import free_port

from .processes import own_cpu_seconds, tree_cpu_seconds

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60.0


@dataclass
class Baseline:
    calls: int
    seconds: float
    server_cpu: float
    client_cpu: float

    @property
    def calls_per_second(self) -> float:
        return self.calls / self.seconds

    @property
    def cpu_ms_per_call(self) -> float:
        return 1000 * (self.server_cpu + self.client_cpu) / self.calls


async def _hammer(url: str, calls: int, flows: int) -> float:
    limits = httpx.Limits(max_connections=flows, max_keepalive_connections=flows)
    async with httpx.AsyncClient(timeout=30, limits=limits) as client:
        remaining = iter(range(calls))

        async def flow() -> None:
            for _ in remaining:
                (await client.get(url)).raise_for_status()

        started = time.perf_counter()
        await asyncio.gather(*(flow() for _ in range(flows)))
        return time.perf_counter() - started


def _serve() -> tuple[subprocess.Popen, str]:
    """The bare endpoint, started and answering: (its process, its URL)."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "benchmarks.deadline.hello_app:app", "--port", str(port)]
        + ["--log-level", "warning", "--no-access-log"],
        cwd=ROOT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}/hello"
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            httpx.get(url, timeout=2).raise_for_status()
            return server, url
        except httpx.HTTPError:
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                raise RuntimeError("le serveur FastAPI de référence n'a pas démarré") from None
            time.sleep(0.2)


async def hello_baseline(calls: int, flows: int) -> Baseline:
    server, url = await asyncio.to_thread(_serve)
    try:
        server_before, client_before = tree_cpu_seconds(server.pid), own_cpu_seconds()
        seconds = await _hammer(url, calls, flows)
        return Baseline(calls, seconds, tree_cpu_seconds(server.pid) - server_before, own_cpu_seconds() - client_before)
    finally:
        server.terminate()
        await asyncio.to_thread(server.wait, 15)
