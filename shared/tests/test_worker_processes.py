"""``AFAS_<SERVICE>_WORKERS=2``: two whole processes of one service behind its ports, stopped together."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from afas_shared.local_nats import free_port

READY_WITHIN_SECONDS = 120.0  # two interpreters starting on a loaded 2-core box


def _workers_of(parent: int) -> list[int]:
    """The service processes the parent spawned (not multiprocessing's resource tracker)."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return [
        int(pid)
        for pid in children
        if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
        and b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes()
    ]


def _ready(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def test_two_workers_serve_the_service_and_sigterm_stops_both(backends, bus_prefix, tmp_path):
    port, internal = free_port(), free_port()
    env = {
        **os.environ,
        "AFAS_NATS_URL": backends.nats_url,
        "AFAS_BUS_PREFIX": bus_prefix,
        "AFAS_VAR_DIR": str(tmp_path),
        "AFAS_IDENTITY_DATABASE_URL": backends.database_url("identity"),
        "AFAS_IDENTITY_HTTP_PORT": str(port),
        "AFAS_IDENTITY_INTERNAL_PORT": str(internal),
        "AFAS_IDENTITY_WORKERS": "2",
    }
    service = subprocess.Popen([sys.executable, "-m", "afas_identity"], env=env, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + READY_WITHIN_SECONDS
        while not _ready(f"http://127.0.0.1:{port}/readyz"):
            assert service.poll() is None and time.monotonic() < deadline
            time.sleep(0.5)
        workers = _workers_of(service.pid)
        assert len(workers) == 2, workers
        assert _ready(f"http://127.0.0.1:{internal}/readyz")  # the internal port is shared too
        service.send_signal(signal.SIGTERM)
        assert service.wait(timeout=60) == 0
        assert not any(_alive(pid) for pid in workers)
    finally:
        if service.poll() is None:
            service.kill()
            service.wait()


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except FileNotFoundError:
        return False
    return state != "Z"
