"""What the standard ``OTEL_*`` variables ask of this process, read once, checked like every other setting.

The OpenTelemetry SDK reads most of them itself when it is left to (the OTLP exporters read their endpoint,
headers, timeout and compression; the periodic metric reader its interval; the providers ``OTEL_SDK_DISABLED``),
so this module only decides what the SDK cannot: which exporters to build, which sampler, which resource.

- An exporter per signal: ``OTEL_TRACES_EXPORTER`` / ``OTEL_METRICS_EXPORTER`` (``otlp``, ``console``, ``none``)
  when set; otherwise ``otlp`` as soon as a collector endpoint is known (``OTEL_EXPORTER_OTLP_ENDPOINT`` or the
  signal's own ``…_TRACES_ENDPOINT`` / ``…_METRICS_ENDPOINT``), and nothing when none is: a laptop without a
  collector does not retry a dead port every few seconds. Setting the standard endpoint alone is enough.
- Deprecated aliases, still honoured when the standard variable is absent: ``AFAS_TELEMETRY_EXPORTER`` (traces),
  ``AFAS_OTLP_ENDPOINT`` (the base URL, ``/v1/traces`` and ``/v1/metrics`` appended),
  ``AFAS_TELEMETRY_SAMPLE_RATIO`` (a parent-based ratio).
- Only OTLP over HTTP/protobuf is installed: ``OTEL_EXPORTER_OTLP_PROTOCOL=grpc`` is refused at start-up rather
  than exporting nowhere (the issue this module closes was spans silently lost).

Invalid values stop the process with one line naming the variable, as for the ``AFAS_*`` settings
(``CommonSettings`` calls :func:`read_otel_config` in a validator).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from opentelemetry.sdk.resources import OTELResourceDetector, Resource
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    ParentBased,
    Sampler,
    TraceIdRatioBased,
)

EXPORTERS = ("otlp", "console", "none")
PROTOCOLS = ("http/protobuf",)
PROCESS_INSTANCE_ID = str(uuid.uuid4())
SAMPLERS = (
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
)


@dataclass(frozen=True)
class StandardVariable:
    """One ``OTEL_*`` variable a service honours, as the settings reference (docs/operations/settings.md) lists it."""

    name: str
    default: str
    description: str


# Every OTEL_* variable a service honours, read here or by the SDK's exporters, readers and providers: the settings
# reference is generated from it and `make k8s-validate` refuses any other OTEL_* name in the manifests (a misspelt
# one would be ignored silently, the way the spans were lost before).
STANDARD_VARIABLES = (
    StandardVariable(
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "(none)",
        "The collector's OTLP/HTTP base URL (`http://collector:4318`): set alone, traces and metrics go there "
        "(`/v1/traces`, `/v1/metrics` appended)",
    ),
    StandardVariable(
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "(none)", "The traces' full URL (`…/v1/traces`), instead of the base"
    ),
    StandardVariable(
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "(none)", "The metrics' full URL (`…/v1/metrics`), instead of the base"
    ),
    StandardVariable(
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "`http/protobuf`",
        "The only protocol installed: any other (`grpc`, `http/json`) stops the service at start naming the variable "
        "(use the collector's port 4318)",
    ),
    StandardVariable("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "`http/protobuf`", "Same, for traces alone"),
    StandardVariable("OTEL_EXPORTER_OTLP_METRICS_PROTOCOL", "`http/protobuf`", "Same, for metrics alone"),
    *(
        StandardVariable(f"OTEL_EXPORTER_OTLP{signal}_{field}", "SDK's", f"{meaning}, read by the OTLP exporter{whose}")
        for signal, whose in (("", "s"), ("_TRACES", " of traces"), ("_METRICS", " of metrics"))
        for field, meaning in (
            ("HEADERS", "Headers sent to the collector (`key=value,…`: an authorization token)"),
            ("TIMEOUT", "Milliseconds an export may take"),
            ("COMPRESSION", "`gzip` or `none`"),
            ("CERTIFICATE", "The CA file that verifies an `https://` collector"),
        )
    ),
    StandardVariable(
        "OTEL_TRACES_EXPORTER",
        "`otlp` when an endpoint is set, else `none`",
        "`otlp`, `console` or `none` (a list keeps its first real exporter)",
    ),
    StandardVariable("OTEL_METRICS_EXPORTER", "`otlp` when an endpoint is set, else `none`", "Same, for OTel metrics"),
    StandardVariable(
        "OTEL_TRACES_SAMPLER",
        "`parentbased_traceidratio`",
        "`always_on`, `always_off`, `traceidratio`, `parentbased_always_on`, `parentbased_always_off`, "
        "`parentbased_traceidratio`",
    ),
    StandardVariable("OTEL_TRACES_SAMPLER_ARG", "`1.0`", "The sampler's ratio, 0 to 1"),
    StandardVariable("OTEL_SERVICE_NAME", "`afas-<service>`", "The resource's service.name"),
    StandardVariable(
        "OTEL_RESOURCE_ATTRIBUTES",
        "`service.namespace=afas`",
        "More resource attributes (`deployment.environment.name=production`); they win over the defaults",
    ),
    StandardVariable("OTEL_METRIC_EXPORT_INTERVAL", "`60000`", "Milliseconds between two OTel metric exports"),
    StandardVariable(
        "OTEL_SDK_DISABLED", "`false`", "`true`: no spans, no OTel metrics (the Prometheus `/metrics` is unchanged)"
    ),
)
STANDARD_VARIABLE_NAMES = frozenset(variable.name for variable in STANDARD_VARIABLES)


class OtelConfigError(ValueError):
    """An ``OTEL_*`` variable this process cannot honour; the message names it."""


@dataclass(frozen=True)
class OtelConfig:
    disabled: bool
    traces_exporter: str  # one of EXPORTERS
    metrics_exporter: str
    # None: the OTLP exporter reads the standard variables itself; a URL: the deprecated alias, signal path added
    traces_endpoint: str | None
    metrics_endpoint: str | None
    sampler_name: str
    sampler_ratio: float

    @property
    def exports_traces(self) -> bool:
        return not self.disabled and self.traces_exporter != "none"

    @property
    def exports_metrics(self) -> bool:
        return not self.disabled and self.metrics_exporter != "none"

    def sampler(self) -> Sampler:
        ratio = TraceIdRatioBased(self.sampler_ratio)
        return {
            "always_on": ALWAYS_ON,
            "always_off": ALWAYS_OFF,
            "traceidratio": ratio,
            "parentbased_always_on": ParentBased(ALWAYS_ON),
            "parentbased_always_off": ParentBased(ALWAYS_OFF),
            "parentbased_traceidratio": ParentBased(ratio),
        }[self.sampler_name]


def _get(env: Mapping[str, str], name: str) -> str:
    return env.get(name, "").strip()


def _exporter(env: Mapping[str, str], signal: str, alias: str, endpoint_known: bool) -> str:
    name = f"OTEL_{signal}_EXPORTER"
    value = _get(env, name).lower()
    if not value:
        return alias or ("otlp" if endpoint_known else "none")
    # The variable is a list; this process knows one exporter per signal ("otlp,console" keeps the first real one).
    chosen = [item.strip() for item in value.split(",") if item.strip()]
    unknown = [item for item in chosen if item not in EXPORTERS]
    if unknown:
        raise OtelConfigError(f"{name}: {unknown[0]!r} is not one of {', '.join(EXPORTERS)}")
    return next((item for item in chosen if item != "none"), "none")


def read_otel_config(
    env: Mapping[str, str] | None = None,
    *,
    legacy_exporter: str | None = None,
    legacy_endpoint: str | None = None,
    legacy_ratio: float = 1.0,
) -> OtelConfig:
    """The configuration the environment asks for; ``legacy_*`` are the deprecated ``AFAS_*`` values, when set."""
    env = os.environ if env is None else env
    for name in (
        "OTEL_EXPORTER_OTLP_PROTOCOL",
        "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
        "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL",
    ):
        protocol = _get(env, name)
        if protocol and protocol not in PROTOCOLS:
            raise OtelConfigError(
                f"{name}: {protocol!r} is not supported here; use http/protobuf (the collector's port 4318)"
            )
    disabled = _get(env, "OTEL_SDK_DISABLED").lower() == "true"
    base = _get(env, "OTEL_EXPORTER_OTLP_ENDPOINT")
    alias = (legacy_endpoint or "").rstrip("/")
    known: dict[str, bool] = {}  # a collector is named for this signal, by any variable
    legacy: dict[str, str | None] = {}  # the URL the deprecated alias gives, when no standard variable does
    for signal in ("traces", "metrics"):
        standard = _get(env, f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT") or base
        known[signal] = bool(standard or alias)
        legacy[signal] = f"{alias}/v1/{signal}" if alias and not standard else None
    sampler_name = _get(env, "OTEL_TRACES_SAMPLER").lower() or "parentbased_traceidratio"
    if sampler_name not in SAMPLERS:
        raise OtelConfigError(f"OTEL_TRACES_SAMPLER: {sampler_name!r} is not one of {', '.join(SAMPLERS)}")
    ratio = legacy_ratio
    if arg := _get(env, "OTEL_TRACES_SAMPLER_ARG"):
        try:
            ratio = float(arg)
        except ValueError:
            ratio = -1.0
        if not 0.0 <= ratio <= 1.0:
            raise OtelConfigError(f"OTEL_TRACES_SAMPLER_ARG: {arg!r} is not a ratio between 0 and 1")
    elif _get(env, "OTEL_TRACES_SAMPLER"):
        ratio = 1.0  # the standard sampler named without its argument: the specification's default
    return OtelConfig(
        disabled=disabled,
        traces_exporter=_exporter(env, "TRACES", legacy_exporter or "", known["traces"]),
        # The deprecated exporter setting only ever meant traces: metrics follow the standard variables.
        metrics_exporter=_exporter(env, "METRICS", "", known["metrics"]),
        traces_endpoint=legacy["traces"],
        metrics_endpoint=legacy["metrics"],
        sampler_name=sampler_name,
        sampler_ratio=ratio,
    )


def service_resource(service: str, version: str) -> Resource:
    """``afas-<service>`` and its version, unless ``OTEL_SERVICE_NAME`` or ``OTEL_RESOURCE_ATTRIBUTES`` say
    otherwise (the standard variables win over the defaults, not the other way round)."""
    detected = OTELResourceDetector().detect()
    defaults = {
        "service.name": f"afas-{service}",
        "service.namespace": "afas",
        "service.version": version,
        # One per process (its traces and metrics alike): replicas and workers push cumulative metrics that the
        # collector must keep apart
        "service.instance.id": PROCESS_INSTANCE_ID,
    }
    return Resource.create({**defaults, **detected.attributes})
