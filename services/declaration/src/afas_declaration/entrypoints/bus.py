"""What declaration consumes and answers on the bus."""

from __future__ import annotations

from afas_shared.read_models import user_directory
from afas_shared.runtime import ServiceRuntime


def register(runtime: ServiceRuntime) -> None:
    user_directory.attach(runtime)
