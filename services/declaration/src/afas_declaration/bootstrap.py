"""Wires the declaration service: runtime, consumers, RPC handlers, the gateway and the web pages."""

from __future__ import annotations

from typing import Any

from afas_declaration import SERVICE, __version__
from afas_declaration.config import Settings
from afas_declaration.entrypoints import bus, gateway, http, web
from afas_shared.runtime import ServiceRuntime


def build(settings: Settings, **runtime_options: Any) -> ServiceRuntime:
    settings.require_secret("admin_token")
    runtime = ServiceRuntime(SERVICE, __version__, "afas_declaration", settings, **runtime_options)
    bus.register(runtime)
    runtime.include_router(http.router(runtime))
    runtime.include_router(gateway.router(runtime, settings))
    runtime.include_router(web.router(runtime, settings))
    return runtime
