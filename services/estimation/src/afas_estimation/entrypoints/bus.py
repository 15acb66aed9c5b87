"""What estimation answers on the bus (its status responder comes with the runtime)."""

from __future__ import annotations

from typing import Any

from afas_estimation.application import estimates
from afas_estimation.domain.errors import EstimationError
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.messaging.rpc_payload import answer_with_result
from afas_shared.runtime import ServiceRuntime


def register(runtime: ServiceRuntime) -> None:
    async def estimate(payload: dict[str, Any]) -> dict[str, Any]:
        """estimation.rpc.estimate.v1: {family, nature, declaration_type, exercice, caf_code, figures} -> estimate."""
        try:
            # Pure CPU work of a few milliseconds: no need to leave the event loop.
            return estimates.estimate(payload or {})
        except EstimationError as exc:
            raise RpcFailure("invalid", exc.message, exc.field) from None
        except estimates.InvalidRequest as exc:
            raise RpcFailure("invalid", exc.message, exc.field) from None

    answer_with_result(runtime.rpc, "estimate", estimate)
