"""OpenTelemetry traces; the exporter is chosen by settings (none, console or OTLP over HTTP)."""

from __future__ import annotations

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from afas_shared.settings import CommonSettings, Exporter


def configure_tracing(
    service: str, version: str, common: CommonSettings, extra_processor: SpanProcessor | None = None
) -> TracerProvider:
    """Build this service's tracer provider; also installed globally for code that uses the API."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": f"afas-{service}", "service.version": version}),
        sampler=ParentBased(TraceIdRatioBased(common.telemetry_sample_ratio)),
    )
    if common.telemetry_exporter is Exporter.CONSOLE:
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    elif common.telemetry_exporter is Exporter.OTLP:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        endpoint = common.otlp_endpoint.rstrip("/") + "/v1/traces"
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    if extra_processor is not None:
        provider.add_span_processor(extra_processor)
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(provider)
    return provider
