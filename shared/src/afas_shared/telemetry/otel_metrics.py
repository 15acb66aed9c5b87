"""OpenTelemetry metrics pushed to the collector beside the Prometheus ``/metrics`` the dashboards scrape.

One meter provider per service runtime, with a periodic reader (``OTEL_METRIC_EXPORT_INTERVAL``, 60 s by default)
and the exporter ``OTEL_METRICS_EXPORTER`` names; none at all when no exporter is configured, so a process that
exports nothing records nothing. What it carries:

- ``http.server.request.duration`` — FastAPI's own instrument, given this provider (``ServiceRuntime._app``);
- ``rpc.client.call.duration`` / ``rpc.server.call.duration`` — the request/reply latency both sides of the bus,
  recorded by the same wrappers as the Prometheus histograms (``rpc_metrics``), with the same bounded labels;
- ``db.client.connections.usage`` — from the SQLAlchemy instrumentation (``instrumentation``).

The provider is not installed globally: several runtimes share one process in the tests, each with its own
resource (``service.name``), so the RPC wrappers find their service's instruments by service name here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from opentelemetry.metrics import Histogram
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import ConsoleMetricExporter, MetricExporter, PeriodicExportingMetricReader

from afas_shared.telemetry.otel_config import OtelConfig, service_resource

if TYPE_CHECKING:
    from afas_shared.settings import CommonSettings

# The Prometheus histograms' buckets (rpc_metrics.BUCKETS), so both views of a latency agree.
RPC_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0)


@dataclass(frozen=True)
class RpcInstruments:
    client: Histogram
    server: Histogram


_RPC: dict[str, RpcInstruments] = {}  # service name -> its runtime's instruments


def metric_exporter(config: OtelConfig) -> MetricExporter | None:
    if not config.exports_metrics:
        return None
    if config.metrics_exporter == "console":
        return ConsoleMetricExporter()
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

    # No endpoint given: the exporter reads OTEL_EXPORTER_OTLP_(METRICS_)ENDPOINT, headers, temporality.
    return OTLPMetricExporter(endpoint=config.metrics_endpoint) if config.metrics_endpoint else OTLPMetricExporter()


def configure_metrics(service: str, version: str, common: CommonSettings) -> MeterProvider | None:
    """This service's meter provider, its RPC instruments registered; None when no metric exporter is set."""
    exporter = metric_exporter(common.otel())
    if exporter is None:
        return None
    provider = MeterProvider(
        resource=service_resource(service, version), metric_readers=[PeriodicExportingMetricReader(exporter)]
    )
    meter = provider.get_meter(f"afas.{service}")
    _RPC[service] = RpcInstruments(
        client=meter.create_histogram(
            "rpc.client.call.duration",
            unit="s",
            description="Request/reply duration seen by the caller, answer or not",
            explicit_bucket_boundaries_advisory=RPC_BUCKETS,
        ),
        server=meter.create_histogram(
            "rpc.server.call.duration",
            unit="s",
            description="Time a responder spent answering one request",
            explicit_bucket_boundaries_advisory=RPC_BUCKETS,
        ),
    )
    return provider


def release_metrics(service: str, provider: MeterProvider | None) -> None:
    """At the runtime's stop: the last values exported (the provider's shutdown collects once more)."""
    if provider is None:
        return
    _RPC.pop(service, None)
    provider.shutdown(timeout_millis=2000)


def record_rpc_client(service: str, target: str, verb: str, seconds: float, error: str | None) -> None:
    if (instruments := _RPC.get(service)) is not None:
        instruments.client.record(seconds, _attributes(target, verb, error))


def record_rpc_server(service: str, verb: str, seconds: float, error: str | None) -> None:
    if (instruments := _RPC.get(service)) is not None:
        instruments.server.record(seconds, _attributes(service, verb, error))


def _attributes(target: str, verb: str, error: str | None) -> dict[str, str]:
    attributes = {"rpc.system": "nats", "rpc.service": target, "rpc.method": verb}
    if error is not None:
        attributes["error.type"] = error  # rpc_metrics.error_kind: a short code, never a message
    return attributes
