"""Correlation and causation ids of the operation being handled, carried across every hop."""

from __future__ import annotations

import uuid
from contextvars import ContextVar

correlation_id: ContextVar[str | None] = ContextVar("correlation_id", default=None)
causation_id: ContextVar[str | None] = ContextVar("causation_id", default=None)

CORRELATION_HEADER = "X-Correlation-Id"


def current_correlation_id() -> str:
    value = correlation_id.get()
    if value is None:
        value = str(uuid.uuid4())
        correlation_id.set(value)
    return value
