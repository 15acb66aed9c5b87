"""Estimation's own HTTP API: health and AsyncAPI come with the runtime."""

from __future__ import annotations

from afas_shared.runtime import ServiceRuntime
from fastapi import APIRouter


def router(runtime: ServiceRuntime) -> APIRouter:
    return APIRouter(prefix="/internal/v1", tags=["estimation"])
