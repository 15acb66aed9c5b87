"""What estimation answers on the bus (its status responder comes with the runtime)."""

from __future__ import annotations

from afas_shared.runtime import ServiceRuntime


def register(runtime: ServiceRuntime) -> None:
    """Estimates and payment schedules arrive with their issue; nothing else to wire yet."""
