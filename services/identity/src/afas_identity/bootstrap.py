"""Wires the identity service: runtime, routers, RPC handlers."""

from __future__ import annotations

from typing import Any

from afas_identity import SERVICE, __version__
from afas_identity.config import Settings
from afas_identity.entrypoints import bus, http
from afas_shared.runtime import ServiceRuntime


def build(settings: Settings, **runtime_options: Any) -> ServiceRuntime:
    runtime = ServiceRuntime(SERVICE, __version__, "afas_identity", settings, **runtime_options)
    bus.register(runtime)
    runtime.include_router(http.router(runtime))
    return runtime
