"""Several processes of one service behind its two ports (``AFAS_<SERVICE>_WORKERS``), as ``uvicorn --workers``.

The parent binds the public and the internal port once, then starts the workers, each a whole service process
(its own runtime: HTTP, consumers, outbox relay, periodic jobs) serving the shared sockets; the kernel spreads the
connections. Workers share nothing but the database and the bus, exactly as replicas on several machines do:
JetStream durable consumers hand each message to one subscriber, the outbox relay claims its rows
(``FOR UPDATE SKIP LOCKED`` on PostgreSQL, ``Nats-Msg-Id`` de-duplication on SQLite), an Idempotency-Key is a row.

What stays per process: the gateway's rate limits (each worker counts its own clients, so the effective limit is
the setting times the workers) and Prometheus counters (each scrape answers one worker's; in the cluster, scale
with pods of one worker each, which Prometheus scrapes one by one). SIGTERM or SIGINT stops every worker; a worker
that dies stops the others, so the supervisor (``make run``, the orchestrator) sees the service down and restarts it.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import signal
import socket
import sys
import time
from collections.abc import Callable
from multiprocessing.process import BaseProcess
from typing import Any

import uvicorn

from afas_shared.runtime import ServiceRuntime
from afas_shared.settings import ServiceSettings, load_or_exit

Build = Callable[[ServiceSettings], ServiceRuntime]
STOP_GRACE_SECONDS = 30.0  # a worker finishing its requests and closing its connections


def bind(host: str, port: int) -> socket.socket:
    # uvicorn's own binding (address family, SO_REUSEADDR), as `uvicorn --workers` does before it forks
    return uvicorn.Config(app="unused:app", host=host, port=port).bind_socket()


def _worker(settings_cls: type[ServiceSettings], build: Build, sockets: tuple[socket.socket, socket.socket]) -> None:
    from afas_shared.entrypoint import serve_both

    settings = load_or_exit(settings_cls)
    asyncio.run(serve_both(build(settings), settings, sockets))


def serve_workers(settings_cls: type[ServiceSettings], build: Build, settings: ServiceSettings) -> None:
    sockets = (bind(settings.http_host, settings.http_port), bind(settings.http_host, settings.internal_port or 0))
    spawn = multiprocessing.get_context("spawn")  # a fresh interpreter each: no event loop or thread inherited
    workers: list[BaseProcess] = [
        spawn.Process(target=_worker, args=(settings_cls, build, sockets), name=f"{settings.service_name()}-worker-{n}")
        for n in range(settings.workers)
    ]
    for worker in workers:
        worker.start()
    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
    while not stopping and all(worker.is_alive() for worker in workers):
        time.sleep(0.5)
    failed = next((worker.exitcode for worker in workers if not worker.is_alive() and worker.exitcode), 0)
    for worker in workers:
        if worker.is_alive():
            worker.terminate()  # SIGTERM: the worker's servers stop gracefully
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for worker in workers:
        worker.join(max(0.1, deadline - time.monotonic()))
        if worker.is_alive():
            worker.kill()
    for sock in sockets:
        sock.close()
    if failed:
        sys.exit(failed)
