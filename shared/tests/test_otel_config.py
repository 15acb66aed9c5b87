"""The standard OTEL_* variables decide exporters, sampler and resource; the AFAS_* aliases only fill gaps."""

from __future__ import annotations

import pytest
from opentelemetry.sdk.trace.sampling import ParentBased, StaticSampler, TraceIdRatioBased
from pydantic import ValidationError

from afas_shared.settings import CommonSettings, describe_error
from afas_shared.telemetry.otel_config import OtelConfigError, read_otel_config, service_resource


def test_nothing_set_exports_nothing():
    config = read_otel_config({})
    assert (config.exports_traces, config.exports_metrics) == (False, False)


def test_the_standard_endpoint_alone_turns_both_signals_on():
    config = read_otel_config({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"})
    assert (config.traces_exporter, config.metrics_exporter) == ("otlp", "otlp")
    assert config.traces_endpoint is None  # the exporter reads the variable itself (and adds /v1/traces)


def test_a_signal_endpoint_or_exporter_variable_decides_for_that_signal_only():
    config = read_otel_config(
        {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://collector:4318/v1/traces", "OTEL_METRICS_EXPORTER": "console"}
    )
    assert (config.traces_exporter, config.metrics_exporter) == ("otlp", "console")
    off = read_otel_config({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_METRICS_EXPORTER": "none"})
    assert (off.exports_traces, off.exports_metrics) == (True, False)


def test_sdk_disabled_exports_nothing():
    config = read_otel_config({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_SDK_DISABLED": "true"})
    assert (config.exports_traces, config.exports_metrics) == (False, False)


def test_the_deprecated_aliases_apply_only_where_no_standard_variable_does():
    legacy = read_otel_config({}, legacy_exporter="otlp", legacy_endpoint="http://old:4318/", legacy_ratio=0.25)
    assert legacy.traces_exporter == "otlp"
    assert legacy.traces_endpoint == "http://old:4318/v1/traces"
    assert legacy.metrics_endpoint == "http://old:4318/v1/metrics"
    sampler = legacy.sampler()
    assert isinstance(sampler, ParentBased) and "0.25" in sampler.get_description()
    standard = read_otel_config(
        {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://new:4318", "OTEL_TRACES_EXPORTER": "none"},
        legacy_exporter="otlp",
        legacy_endpoint="http://old:4318",
    )
    assert (standard.traces_exporter, standard.traces_endpoint, standard.metrics_endpoint) == ("none", None, None)


@pytest.mark.parametrize(
    ("env", "kind", "description"),
    [
        ({"OTEL_TRACES_SAMPLER": "always_off"}, StaticSampler, "AlwaysOffSampler"),
        ({"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "0.1"}, TraceIdRatioBased, "0.1"),
        ({"OTEL_TRACES_SAMPLER": "parentbased_always_on"}, ParentBased, "AlwaysOnSampler"),
    ],
)
def test_the_sampler_variable_is_honoured(env, kind, description):
    sampler = read_otel_config(env, legacy_ratio=0.5).sampler()
    assert isinstance(sampler, kind) and description in sampler.get_description()


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"OTEL_EXPORTER_OTLP_PROTOCOL": "grpc"}, "OTEL_EXPORTER_OTLP_PROTOCOL"),
        ({"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"}, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"),
        ({"OTEL_TRACES_SAMPLER": "sometimes"}, "OTEL_TRACES_SAMPLER"),
        ({"OTEL_TRACES_SAMPLER": "traceidratio", "OTEL_TRACES_SAMPLER_ARG": "2"}, "OTEL_TRACES_SAMPLER_ARG"),
        ({"OTEL_METRICS_EXPORTER": "prometheus"}, "OTEL_METRICS_EXPORTER"),
    ],
)
def test_a_value_this_process_cannot_honour_stops_it_naming_the_variable(env, named, monkeypatch):
    with pytest.raises(OtelConfigError, match=f"^{named}:"):
        read_otel_config(env)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as refused:  # at start-up, as any other setting
        CommonSettings()
    assert describe_error(refused.value, "AFAS_").startswith(f"configuration error: {named}: ")


def test_service_name_and_resource_attributes_variables_win_over_the_defaults(monkeypatch):
    monkeypatch.delenv("OTEL_SERVICE_NAME", raising=False)
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=recette")
    default = service_resource("identity", "1.2.3").attributes
    assert (default["service.name"], default["service.version"]) == ("afas-identity", "1.2.3")
    assert default["deployment.environment.name"] == "recette"
    assert default["service.instance.id"] == service_resource("estimation", "1.2.3").attributes["service.instance.id"]
    assert len(default["service.instance.id"]) == 36  # a UUID per process, the same on its traces and metrics
    monkeypatch.setenv("OTEL_SERVICE_NAME", "identite-recette")
    assert service_resource("identity", "1.2.3").attributes["service.name"] == "identite-recette"
