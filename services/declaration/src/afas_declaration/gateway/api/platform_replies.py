"""Replies of the platform part of the public API: the status of each service, the events' AsyncAPI document."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class AsyncApiDocument(BaseModel):
    """An AsyncAPI 3 document, given as published: its channels, operations and messages are named by event."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "asyncapi": "3.0.0",
                    "info": {"title": "AFAS declaration", "version": "1"},
                    "channels": {
                        "declaration.declaration_transmitted.v1": {"address": "declaration.declaration_transmitted.v1"}
                    },
                }
            ]
        },
    )

    asyncapi: str = Field(description="La version d'AsyncAPI")
    info: dict[str, Any]
    channels: dict[str, Any] = Field(description="Un canal par événement publié ou consommé, et par requête")


class ServiceState(BaseModel):
    name: str
    version: str
    database: str = Field(description="sqlite or postgresql")
    ready: bool


class StatusReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "ok",
                    "services": [{"name": "identity", "version": "0.1.0", "database": "postgresql", "ready": True}],
                    "unavailable": [],
                    "detail": None,
                }
            ]
        }
    )

    status: str = Field(description="ok, or unavailable when a service is down or not ready")
    services: list[ServiceState]
    unavailable: list[str] = Field(default_factory=list)
    detail: str | None = None
