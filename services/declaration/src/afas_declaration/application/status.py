"""Platform status: every service asked over request/reply, concurrently, each within a timeout."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from afas_shared.messaging.rpc import RemoteError, ServiceUnavailable
from afas_shared.runtime import ServiceRuntime

PEERS = ("identity", "habilitation", "estimation", "notification")


@dataclass
class PlatformStatus:
    services: list[dict[str, Any]] = field(default_factory=list)
    unavailable: list[str] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return not self.unavailable and all(s["ready"] for s in self.services)

    def not_ready(self) -> list[str]:
        return self.unavailable + [s["name"] for s in self.services if not s["ready"]]


async def platform_status(runtime: ServiceRuntime, timeout: float) -> PlatformStatus:
    async def ask(peer: str) -> dict[str, Any] | str:
        try:
            return await runtime.request(peer, "status", timeout=timeout)
        except (ServiceUnavailable, RemoteError):
            return peer

    answers = await asyncio.gather(*(ask(p) for p in PEERS))
    status = PlatformStatus(services=[await runtime.status()])
    for answer in answers:
        if isinstance(answer, str):
            status.unavailable.append(answer)
        else:
            status.services.append({k: answer[k] for k in ("name", "version", "database", "ready")})
    status.services[0] = {k: status.services[0][k] for k in ("name", "version", "database", "ready")}
    return status
