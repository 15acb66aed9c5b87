"""Exporter chosen by settings; log lines are JSON carrying trace and correlation ids."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from opentelemetry.sdk.trace.export import BatchSpanProcessor

from afas_shared.messaging import context
from afas_shared.settings import CommonSettings, Exporter
from afas_shared.telemetry.logs import JsonFormatter
from afas_shared.telemetry.tracing import configure_tracing


def _exporters(provider):
    processors = provider._active_span_processor._span_processors
    return [type(p.span_exporter).__name__ for p in processors if isinstance(p, BatchSpanProcessor)]


@pytest.mark.parametrize(
    ("exporter", "expected"),
    [(Exporter.NONE, []), (Exporter.CONSOLE, ["ConsoleSpanExporter"]), (Exporter.OTLP, ["OTLPSpanExporter"])],
)
def test_exporter_follows_the_setting(exporter, expected):
    provider = configure_tracing("probe", "0", CommonSettings(telemetry_exporter=exporter))
    try:
        assert _exporters(provider) == expected
    finally:
        provider.shutdown()


def test_log_line_is_json_with_trace_and_correlation_ids():
    provider = configure_tracing("probe", "0", CommonSettings())
    tracer = provider.get_tracer("test")
    formatter = JsonFormatter("probe")
    token = context.correlation_id.set("corr-42")
    try:
        with tracer.start_as_current_span("work") as span:
            record = logging.LogRecord("afas", logging.INFO, __file__, 1, "déclaration %s", ("reçue",), None)
            line = json.loads(formatter.format(record))
    finally:
        context.correlation_id.reset(token)
    assert line["message"] == "déclaration reçue"
    assert line["service"] == "probe"
    assert line["correlation_id"] == "corr-42"
    assert line["trace_id"] == format(span.get_span_context().trace_id, "032x")


def test_outgoing_httpx_requests_are_client_spans_carrying_the_trace():
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind

    from afas_shared.telemetry.instrumentation import instrument_httpx, release_httpx
    from afas_shared.testing.otlp_receiver import OtlpReceiver

    exporter = InMemorySpanExporter()
    provider = configure_tracing("probe", "0", CommonSettings(), SimpleSpanProcessor(exporter))
    receiver = OtlpReceiver().start()
    owner = object()
    assert instrument_httpx(owner, provider, None)
    try:
        with provider.get_tracer("test").start_as_current_span("use case") as parent:
            httpx.post(f"{receiver.endpoint}/elsewhere", content=b"")
    finally:
        release_httpx(owner)
        receiver.stop()
    [client] = [s for s in exporter.get_finished_spans() if s.kind == SpanKind.CLIENT]
    assert client.parent is not None and client.parent.span_id == parent.get_span_context().span_id
    assert client.attributes["http.status_code"] == 404  # the receiver knows only /v1/traces, /v1/metrics
    assert receiver.headers[-1]["traceparent"].split("-")[1] == format(client.context.trace_id, "032x")


def test_a_deprecated_alias_is_honoured_and_named_in_a_warning(caplog, monkeypatch):
    from afas_shared.db.engine import Database
    from afas_shared.telemetry.service import ServiceTelemetry

    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.delenv("OTEL_TRACES_EXPORTER", raising=False)
    common = CommonSettings(telemetry_exporter=Exporter.CONSOLE)
    with caplog.at_level(logging.WARNING, logger="afas_shared.telemetry.service"):
        telemetry = ServiceTelemetry("probe", "0", common, Database("sqlite://"), None)
    try:
        assert _exporters(telemetry.tracer_provider) == ["ConsoleSpanExporter"]
        assert "AFAS_TELEMETRY_EXPORTER: deprecated" in caplog.text
    finally:
        telemetry.stop()  # httpx unpatched: the process's other tests see it as it was
        telemetry.tracer_provider.shutdown()
