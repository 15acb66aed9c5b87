"""Notification's own HTTP API (internal: the public API is the gateway's)."""

from __future__ import annotations

from fastapi import APIRouter

from afas_shared.runtime import ServiceRuntime


def router(runtime: ServiceRuntime) -> APIRouter:
    return APIRouter(prefix="/internal/v1", tags=["notification"])
