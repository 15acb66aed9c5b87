"""Wires the notification service: runtime, consumers, RPC handlers, periodic planner and sender, routers."""

from __future__ import annotations

from typing import Any

from afas_notification import SERVICE, __version__
from afas_notification.config import Settings
from afas_notification.entrypoints import bus, http
from afas_shared.clock import Clock
from afas_shared.runtime import ServiceRuntime


def build(settings: Settings, clock: Clock | None = None, **runtime_options: Any) -> ServiceRuntime:
    """``clock`` (tests): the planner and the sender run once right at start, so a test's clock must be in place
    before, not swapped in after."""
    runtime = ServiceRuntime(SERVICE, __version__, "afas_notification", settings, **runtime_options)
    if clock is not None:
        runtime.clock = clock
    runtime.accept_sessions()
    bus.register(runtime)
    runtime.include_router(http.router(runtime))
    return runtime
