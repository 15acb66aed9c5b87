from afas_shared.telemetry.logs import configure_logging
from afas_shared.telemetry.tracing import configure_tracing

__all__ = ["configure_logging", "configure_tracing"]
