"""The caller's rights read once per HTTP request (a pure ASGI middleware).

A request often runs several use cases — a save and the estimate shown beside it, a page and the parts it shows —
and each asks what the caller may do. Within one request they share one reading of the caller's grant lines
(``permissions.one_access_per_request``): one query, and one answer for the whole request.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from afas_declaration.application.permissions import one_access_per_request


class OneAccessPerRequest:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with one_access_per_request():
            await self.app(scope, receive, send)
