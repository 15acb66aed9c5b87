"""OpenTelemetry traces, configured by the standard ``OTEL_*`` variables (``otel_config``): the exporter (none,
console or OTLP over HTTP), the sampler, the resource."""

from __future__ import annotations

from typing import TYPE_CHECKING

from opentelemetry import trace
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF

from afas_shared.telemetry.otel_config import OtelConfig, service_resource

if TYPE_CHECKING:
    from afas_shared.settings import CommonSettings


def span_exporter(config: OtelConfig) -> SpanExporter | None:
    if not config.exports_traces:
        return None
    if config.traces_exporter == "console":
        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    # No endpoint given: the exporter reads OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, headers, timeout, compression.
    return OTLPSpanExporter(endpoint=config.traces_endpoint) if config.traces_endpoint else OTLPSpanExporter()


def configure_tracing(
    service: str, version: str, common: CommonSettings, extra_processor: SpanProcessor | None = None
) -> TracerProvider:
    """Build this service's tracer provider; also installed globally for code that uses the API."""
    config = common.otel()
    exporter = span_exporter(config)
    # Spans going nowhere are not sampled: FastAPI's and FastStream's spans then cost next to nothing, and their
    # trace ids still reach the logs and the next service (not sampled there either, parent-based).
    sampler = config.sampler() if exporter is not None or extra_processor is not None else ALWAYS_OFF
    # The provider itself honours OTEL_SDK_DISABLED (its tracers are then no-ops).
    provider = TracerProvider(resource=service_resource(service, version), sampler=sampler)
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    if extra_processor is not None:
        provider.add_span_processor(extra_processor)
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(provider)
    return provider
