"""JSON log lines carrying the service, trace id and correlation id, for log search in production."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from opentelemetry import trace

from afas_shared.messaging import context

AUDIT_FIELDS = ("service_name", "verb", "reason", "actor_kind", "actor_sub", "actor_sid")


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        span = trace.get_current_span().get_span_context()
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": context.correlation_id.get(),
        }
        if span.is_valid:
            line["trace_id"] = format(span.trace_id, "032x")
            line["span_id"] = format(span.span_id, "016x")
        audit = getattr(record, "audit", None)
        if isinstance(audit, dict):  # an audit record carrying its own fields (e.g. the dead-letter desk)
            line["audit"] = audit
        elif audit is not None:  # a security record (a refusal): its fields are kept apart for the audit search
            line["audit"] = {key: getattr(record, key, None) for key in AUDIT_FIELDS} | {"event": audit}
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


def configure_logging(service: str, level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("uvicorn.access",):
        logging.getLogger(noisy).setLevel(logging.WARNING)
