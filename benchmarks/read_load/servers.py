"""The baseline servers, started by the benchmark with the gateway's worker count and stopped after it."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from afas_shared.local_nats import free_port

ROOT = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 60.0


@contextmanager
def baseline_server(workers: int, database_url: str, declaration_id: str) -> Iterator[tuple[str, int]]:
    """``benchmarks.read_load.baseline_app`` under uvicorn; its base URL and its process id."""
    port = free_port()
    env = {**os.environ, "AFAS_BENCH_DATABASE_URL": database_url, "AFAS_BENCH_DECLARATION_ID": declaration_id}
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "benchmarks.read_load.baseline_app:app", "--port", str(port)]
        + ["--workers", str(workers), "--log-level", "warning", "--no-access-log"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait(server, f"{base}/one-query")
        yield base, server.pid
    finally:
        server.terminate()
        server.wait(15)


def _wait(server: subprocess.Popen, url: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if server.poll() is not None or time.monotonic() > deadline:
            server.kill()
            raise RuntimeError("le serveur FastAPI de référence n'a pas démarré")
        time.sleep(0.3)
