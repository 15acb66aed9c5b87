"""What identity answers on the bus."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from afas_identity.application.users import CreateUser, DuplicateEmail, create_user
from afas_shared.runtime import ServiceRuntime


def register(runtime: ServiceRuntime) -> None:
    async def on_create_user(payload: dict[str, Any]) -> dict[str, Any]:
        try:
            command = CreateUser.model_validate(payload)
        except ValidationError as exc:
            return {"error": "invalid", "detail": exc.errors(include_url=False, include_context=False)}
        try:
            return {"user": (await create_user(runtime, command)).model_dump()}
        except DuplicateEmail as exc:
            return {"error": "conflict", "detail": str(exc)}

    runtime.rpc("create_user", on_create_user)
