"""What habilitation consumes and answers on the bus."""

from __future__ import annotations

from typing import Any

from afas_habilitation.application.users import list_users, on_user_created
from afas_shared.contracts.events.identity import UserCreatedV1
from afas_shared.runtime import ServiceRuntime


def register(runtime: ServiceRuntime) -> None:
    runtime.consume(UserCreatedV1, on_user_created)

    async def users(_payload: dict[str, Any]) -> dict[str, Any]:
        return {"users": await list_users(runtime)}

    runtime.rpc("list_users", users)
