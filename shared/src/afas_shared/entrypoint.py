"""``python -m afas_<service>``: read settings (one clear line on error), then serve HTTP."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import signal
import socket
import sys
from collections.abc import Callable, Iterator
from typing import Any, Literal, cast

import uvicorn

from afas_shared.runtime import ServiceRuntime
from afas_shared.settings import ServiceSettings, load_or_exit


def serve(settings_cls: type[ServiceSettings], build: Callable[[ServiceSettings], ServiceRuntime]) -> None:
    settings = load_or_exit(settings_cls)
    if settings.workers > 1:
        from afas_shared.worker_processes import serve_workers

        serve_workers(settings_cls, build, settings)
        return
    try:
        runtime = build(settings)
    except ValueError as exc:  # a setting that is well-formed but unacceptable (e.g. a default secret)
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    asyncio.run(serve_both(runtime, settings))


# The cyclic garbage collector's first threshold: container allocations (net of those freed) between two youngest
# collections. Python's 700 made a list request of the gateway run several youngest collections, each promoting what
# the other requests in flight held, so the older generations filled and were scanned again and again (issue 16).
GC_YOUNG_THRESHOLD = 10_000


def settle_heap() -> None:
    """What the process built to serve — modules, routes, models, tables, templates: 265,000 tracked objects in the
    gateway once started — is frozen out of the garbage collector's scans, and the youngest generation collected less
    often.

    A full collection scanned all of it, though it lives as long as the process: 170 ms of CPU on this box each time,
    and under bench-reads' 50 concurrent requests the objects they held were promoted fast enough for full
    collections to come every few hundred requests. Measured in process on a simulation of the list's allocations
    with 50 requests in flight: 2.25 ms of CPU per request with the defaults, 1.11 frozen, 0.87 frozen with this
    threshold. Garbage made afterwards is still collected; only the frozen objects are never scanned (they are
    still freed by reference counting when released)."""
    gc.collect()  # what the start left unreachable, not frozen with the rest
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signals to ``serve_both``: two servers must not both capture them."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        if self.config.lifespan == "on" and not self.should_exit:
            # the public app's lifespan has started the runtime (connections, subscriptions, caches): what it built
            # is settled before the first request
            settle_heap()


def _config(app: Any, settings: ServiceSettings, port: int, lifespan: Literal["on", "off"]) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.http_host,
        port=port,
        lifespan=lifespan,
        log_config=None,
        access_log=False,
        **proxy_options(settings),
    )


def proxy_options(settings: ServiceSettings) -> dict[str, Any]:
    """X-Forwarded-For is believed from the listed proxies only; with none listed, never (not even from 127.0.0.1,
    uvicorn's own default, nor from its FORWARDED_ALLOW_IPS environment variable)."""
    trusted = [entry.strip() for entry in settings.forwarded_allow_ips if entry.strip()]
    if not trusted:
        return {"proxy_headers": False, "forwarded_allow_ips": ""}
    return {"proxy_headers": True, "forwarded_allow_ips": ",".join(trusted)}


async def serve_both(
    runtime: ServiceRuntime, settings: ServiceSettings, sockets: tuple[socket.socket, socket.socket] | None = None
) -> None:
    """The public app on ``http_port`` and the internal one on ``internal_port``, in one event loop.

    Only the public app has a lifespan, so the runtime starts once and stops once; SIGTERM or SIGINT
    stops both servers, and either one stopping (e.g. its port is taken) stops the other. ``sockets``: the public
    and internal ports already bound by the parent of several workers (afas_shared.worker_processes).
    """
    public = _Server(_config(runtime.create_app(), settings, settings.http_port, "on"))
    # ServiceSettings fills internal_port when it is not given
    internal = _Server(_config(runtime.create_internal_app(), settings, cast(int, settings.internal_port), "off"))
    servers = (public, internal)

    def stop(*_: Any) -> None:
        for server in servers:
            server.should_exit = True

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop)

    async def run(server: uvicorn.Server, sock: socket.socket | None) -> None:
        try:
            await server.serve(sockets=[sock] if sock is not None else None)
        finally:
            stop()

    await asyncio.gather(run(public, sockets and sockets[0]), run(internal, sockets and sockets[1]))
