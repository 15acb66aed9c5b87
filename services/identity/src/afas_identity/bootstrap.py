"""Wires the identity service: runtime, routers, RPC handlers."""

from __future__ import annotations

from typing import Any

from afas_identity import SERVICE, __version__
from afas_identity.application import operator
from afas_identity.config import Settings
from afas_identity.entrypoints import bus, http
from afas_shared.runtime import ServiceRuntime


def build(settings: Settings, **runtime_options: Any) -> ServiceRuntime:
    settings.require_secret("operator_token")
    runtime = ServiceRuntime(SERVICE, __version__, "afas_identity", settings, **runtime_options)
    operator.verify_own_sessions(runtime)
    bus.register(runtime)
    runtime.include_router(http.router(runtime))
    return runtime
