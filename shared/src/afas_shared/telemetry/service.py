"""A service runtime's OpenTelemetry: its tracer and meter providers, what they instrument, their last flush."""

from __future__ import annotations

import logging
from collections.abc import Callable, MutableMapping
from typing import TYPE_CHECKING, Any

from opentelemetry.sdk.trace import SpanProcessor

from afas_shared.db.engine import Database
from afas_shared.telemetry.instrumentation import instrument_database, instrument_httpx, release_httpx
from afas_shared.telemetry.otel_metrics import configure_metrics, release_metrics
from afas_shared.telemetry.tracing import configure_tracing

log = logging.getLogger(__name__)

# The AFAS_* aliases of the standard variables (otel_config), still read when the standard one is absent
DEPRECATED = ("telemetry_exporter", "telemetry_sample_ratio", "otlp_endpoint")

if TYPE_CHECKING:
    from fastapi.telemetry import TelemetryConfig

    from afas_shared.settings import CommonSettings


class ServiceTelemetry:
    def __init__(
        self, service: str, version: str, common: CommonSettings, db: Database, span_processor: SpanProcessor | None
    ) -> None:
        self.service = service
        deprecated = [f"AFAS_{field.upper()}" for field in DEPRECATED if field in common.model_fields_set]
        if deprecated:
            log.warning("%s: deprecated, set the standard OTEL_* variables instead (README)", ", ".join(deprecated))
        self.tracer_provider = configure_tracing(service, version, common, span_processor)
        self.meter_provider = configure_metrics(service, version, common)  # None: no metric exporter
        # Database, HTTP-client and per-event spans only when spans go somewhere (an exporter, a test's processor).
        self.traced = common.otel().exports_traces or span_processor is not None
        if self.traced:
            instrument_database(db, self.tracer_provider, self.meter_provider)
            instrument_httpx(self, self.tracer_provider, self.meter_provider)

    def fastapi(self, exclude: Callable[[MutableMapping[str, Any]], bool]) -> TelemetryConfig:
        """FastAPI's native telemetry: server spans; ``http.server.request.duration`` when metrics are exported
        (the Prometheus metrics ``/metrics`` serves come from RequestContextMiddleware either way)."""
        return {
            "tracer_provider": self.tracer_provider,
            "meter_provider": self.meter_provider,
            "operation_spans": False,
            "logs": False,
            "metrics": self.meter_provider is not None,
            "exclude": exclude,
        }

    def stop(self) -> None:
        """The spans and metrics still buffered are sent (bounded), httpx unpatched if this runtime patched it."""
        self.tracer_provider.force_flush(timeout_millis=2000)
        release_metrics(self.service, self.meter_provider)
        release_httpx(self)
