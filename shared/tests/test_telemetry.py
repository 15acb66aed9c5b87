"""Exporter chosen by settings; log lines are JSON carrying trace and correlation ids."""

from __future__ import annotations

import json
import logging

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
