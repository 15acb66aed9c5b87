"""Wires the notification service: runtime, consumers, RPC handlers, routers."""

from __future__ import annotations

from typing import Any

from afas_notification import SERVICE, __version__
from afas_notification.config import Settings
from afas_notification.entrypoints import bus, http
from afas_shared.runtime import ServiceRuntime


def build(settings: Settings, **runtime_options: Any) -> ServiceRuntime:
    runtime = ServiceRuntime(SERVICE, __version__, "afas_notification", settings, **runtime_options)
    runtime.accept_sessions()
    bus.register(runtime)
    runtime.include_router(http.router(runtime))
    return runtime
