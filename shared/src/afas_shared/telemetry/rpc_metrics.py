"""Request/reply latency and errors per verb, on both sides of the bus.

Two wrappers, one line each where the bus sends a request and where it registers a responder, so neither the bus
nor the handlers carry timing code. Labels stay bounded: the caller's and the callee's service names, the verb (a
name in the code, ~50 of them), and an error *kind* — a refusal's code when it is one of the platform's short codes
(``invalid``, ``forbidden``, ``not_found``…), ``unavailable`` for no answer in time, ``internal`` for anything else
(a crash answers ``"ValueError: …"``: that text never becomes a label).
"""

from __future__ import annotations

import functools
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, Protocol, TypeVar

from prometheus_client import Counter, Histogram

from afas_shared.messaging.rpc import RemoteError, RpcFailure, ServiceUnavailable
from afas_shared.refusals import Refused
from afas_shared.telemetry.otel_metrics import record_rpc_client, record_rpc_server

# From a cached read (~1 ms) to the 2-s budget and the login's longer one.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)

CLIENT_SECONDS = Histogram(
    "afas_rpc_client_seconds",
    "Request/reply duration seen by the caller, answer or not",
    ["service", "target", "verb"],
    buckets=BUCKETS,
)
CLIENT_ERRORS = Counter(
    "afas_rpc_client_errors_total",
    "Requests that got no answer in time (unavailable) or an error reply (its code)",
    ["service", "target", "verb", "error"],
)
SERVER_SECONDS = Histogram(
    "afas_rpc_server_seconds", "Time a responder spent answering one request", ["service", "verb"], buckets=BUCKETS
)
SERVER_ERRORS = Counter(
    "afas_rpc_server_errors_total",
    "Requests a responder answered with an error: a refusal (its code) or a crash (internal)",
    ["service", "verb", "error"],
)

_CODE = re.compile(r"^[a-z_]{1,30}$")

P = ParamSpec("P")
R = TypeVar("R")


def error_kind(exc: BaseException) -> str:
    """A bounded label for what went wrong: a platform refusal code, ``unavailable`` or ``internal``."""
    if isinstance(exc, ServiceUnavailable):
        return "unavailable"
    code = exc.error if isinstance(exc, RemoteError) else getattr(exc, "code", None)
    if isinstance(exc, RemoteError | RpcFailure | Refused) and isinstance(code, str) and _CODE.match(code):
        return code
    return "internal"


class _Caller(Protocol):
    service: str


def timed_request(
    request: Callable[Concatenate[Any, str, str, P], Awaitable[R]],
) -> Callable[Concatenate[Any, str, str, P], Awaitable[R]]:
    """Decorates ``Bus.request(self, service, verb, …)``: duration of every call, and its error kind."""

    @functools.wraps(request)
    async def timed(bus: _Caller, service: str, verb: str, *args: P.args, **kwargs: P.kwargs) -> R:
        start = time.perf_counter()
        error: str | None = None
        try:
            return await request(bus, service, verb, *args, **kwargs)
        except Exception as exc:
            error = error_kind(exc)
            CLIENT_ERRORS.labels(bus.service, service, verb, error).inc()
            raise
        finally:
            seconds = time.perf_counter() - start
            CLIENT_SECONDS.labels(bus.service, service, verb).observe(seconds)
            record_rpc_client(bus.service, service, verb, seconds, error)  # the OTel view, when exported

    return timed


def timed_responder(service: str, verb: str, handler: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Wraps a responder's handler: time spent answering, and the refusals or crashes it raised."""

    @functools.wraps(handler)
    async def timed(*args: P.args, **kwargs: P.kwargs) -> R:
        start = time.perf_counter()
        error: str | None = None
        try:
            return await handler(*args, **kwargs)
        except Exception as exc:
            error = error_kind(exc)
            SERVER_ERRORS.labels(service, verb, error).inc()
            raise
        finally:
            seconds = time.perf_counter() - start
            SERVER_SECONDS.labels(service, verb).observe(seconds)
            record_rpc_server(service, verb, seconds, error)  # the OTel view, when exported

    return timed
