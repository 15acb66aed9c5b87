"""Spans for the calls a service makes out of its process besides the bus: its database and outgoing HTTP.

- SQLAlchemy: one span per statement (``SELECT afas_identity``…, the statement text without its parameters) as a
  child of whatever is current — the HTTP request, the RPC being answered, the event being applied — and the
  ``db.client.connections.usage`` metric. Attached to this runtime's engine alone, with its own providers
  (``EngineTracer``), not by patching ``create_engine`` for the whole process.
- httpx: a client span per outgoing request and the trace context injected in its headers, so a service called
  over HTTP continues the trace. httpx can only be patched process-wide: the first runtime that turns it on owns
  it and turns it off at its stop.

Only when spans go somewhere (an exporter, or a test's processor): an unexported span per statement is CPU spent
for nothing on the hot path.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.instrumentation.sqlalchemy import __version__ as sqlalchemy_instrumentation_version
from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
from opentelemetry.metrics import MeterProvider, NoOpMeterProvider
from opentelemetry.trace import TracerProvider

from afas_shared.db.engine import Database

_httpx_owner: list[object] = []  # the runtime that patched httpx, if any


def instrument_database(db: Database, tracer_provider: TracerProvider, meter_provider: MeterProvider | None) -> None:
    """Statement spans and connection-usage metrics for this database's engine (its sync core serves both)."""
    meters = meter_provider or NoOpMeterProvider()
    name = "opentelemetry.instrumentation.sqlalchemy"
    tracer = tracer_provider.get_tracer(name, sqlalchemy_instrumentation_version)
    connections_usage = meters.get_meter(name, sqlalchemy_instrumentation_version).create_up_down_counter(
        "db.client.connections.usage",
        unit="connections",
        description="The number of connections that are currently in state described by the state attribute.",
    )
    # The listeners live on the engine: disposing of the engine at the runtime's stop is enough.
    EngineTracer(tracer, db.engine.sync_engine, connections_usage)


def instrument_httpx(owner: object, tracer_provider: TracerProvider, meter_provider: MeterProvider | None) -> bool:
    """Patch httpx for this process unless another runtime did; True when ``owner`` now owns the patch."""
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    instrumentor: Any = HTTPXClientInstrumentor()
    if _httpx_owner or instrumentor.is_instrumented_by_opentelemetry:
        return False
    instrumentor.instrument(tracer_provider=tracer_provider, meter_provider=meter_provider or NoOpMeterProvider())
    _httpx_owner.append(owner)
    return True


def release_httpx(owner: object) -> None:
    if owner in _httpx_owner:
        from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

        HTTPXClientInstrumentor().uninstrument()
        _httpx_owner.remove(owner)
