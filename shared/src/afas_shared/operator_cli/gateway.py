"""The gateway's public API as the operator calls it: its bootstrap secret as the bearer, refusals as errors.

The command runs where the gateway runs (``kubectl -n afas exec deploy/declaration -- afas …``) and reads the
gateway's own settings (``AFAS_DECLARATION_*``): the bootstrap secret, the port, the operator's bulk budget as the
timeout of a call. ``--gateway URL`` aims it at another address (``make run``'s gateway from a laptop).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from afas_shared.auth.rotate_signing_key import GatewaySettings


class Refused(Exception):
    """The gateway answered a refusal: its status and its French message, for the operator to read."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message


@dataclass
class OperatorGateway:
    client: httpx.AsyncClient

    async def call(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.client.request(method, f"/api/v1{path}", **kwargs)
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            raise Refused(response.status_code, detail if isinstance(detail, str) else str(detail))
        return response.json() if response.content else None


def client_for(settings: GatewaySettings, url: str | None) -> httpx.AsyncClient:
    base = url or f"http://127.0.0.1:{settings.http_port}"
    return httpx.AsyncClient(
        base_url=base,
        headers={"Authorization": f"Bearer {settings.admin_token}"},
        timeout=settings.bulk_rpc_timeout_seconds,
    )
