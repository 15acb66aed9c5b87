"""Wires the declaration service: runtime, consumers, RPC handlers, then the gateway and the web pages."""

from __future__ import annotations

from typing import Any

from afas_declaration import SERVICE, __version__, gateway
from afas_declaration.adapters import metrics
from afas_declaration.application import attachments
from afas_declaration.config import Settings
from afas_declaration.entrypoints import bus, http
from afas_shared.runtime import ServiceRuntime
from afas_shared.settings import Environment


def build(settings: Settings, **runtime_options: Any) -> ServiceRuntime:
    settings.require_secret("admin_token")
    settings.require_secret("csrf_secret")
    if settings.common.env is not Environment.LOCAL and settings.csrf_secret == settings.admin_token:
        # a key of its own: the operator's secret must not also sign every page's CSRF token
        raise ValueError(f"{settings.env_var('csrf_secret')} must differ from {settings.env_var('admin_token')}")
    runtime = ServiceRuntime(SERVICE, __version__, "afas_declaration", settings, **runtime_options)
    bus.register(runtime)
    runtime.every(metrics.SAMPLE_SECONDS, metrics.declaration_sampler(runtime.db))  # declarations per state
    # Objects of uploads cut short (their process died before the row), after the grace period
    runtime.every(settings.attachment_sweep_seconds, attachments.sweeper(runtime))
    runtime.include_router(http.router(runtime))
    gateway.install(runtime, settings)
    return runtime
