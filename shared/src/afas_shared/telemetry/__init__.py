from afas_shared.telemetry.bus_gauges import bus_samplers
from afas_shared.telemetry.logs import configure_logging
from afas_shared.telemetry.service import ServiceTelemetry
from afas_shared.telemetry.tracing import configure_tracing

__all__ = ["ServiceTelemetry", "bus_samplers", "configure_logging", "configure_tracing"]
