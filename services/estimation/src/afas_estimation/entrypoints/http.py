"""Estimation's own HTTP API: health and AsyncAPI come with the runtime."""

from __future__ import annotations

from fastapi import APIRouter

from afas_shared.runtime import ServiceRuntime


def router(runtime: ServiceRuntime) -> APIRouter:
    return APIRouter(prefix="/internal/v1", tags=["estimation"])
