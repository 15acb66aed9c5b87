"""The five services on a nats-server configured as in production (fixture ``secured_platform``), with the demo
data and a local SMTP server whose mails a test reads: what each mail notice test starts from."""

from __future__ import annotations

import re
import socket
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from email import message_from_bytes, policy
from typing import Any

from aiosmtpd.controller import Controller

from tests.integration.conftest import OPERATOR, Platform


class _Mailbox:
    def __init__(self) -> None:
        self.received = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd hook
        with self.lock:
            self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def link_to(self, address: str, path: str) -> str | None:
        with self.lock:
            bodies = [m.get_body(("plain",)).get_content() for m in self.received if m["To"] == address]
        found = [u for body in bodies for u in re.findall(r"https?://\S+", body) if path in u]
        return found[-1] if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@asynccontextmanager
async def mailed_demo(secured_platform, **notification: Any) -> AsyncIterator[tuple[Any, Platform, _Mailbox]]:
    """(the secured platform, its ``Platform`` for the integration helpers, the mailbox), the demo loaded;
    ``notification``: more of notification's settings."""
    mailbox, port = _Mailbox(), _free_port()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=port)
    smtp.start()
    settings = {"smtp_port": port, "mail_poll_seconds": 0.2, "schedule_check_seconds": 3600, **notification}
    try:
        async with secured_platform(notification=settings) as secured:
            platform = Platform(
                secured.client,
                secured.identity,
                secured.gateway,
                secured.runtimes["habilitation"],
                secured.identity.clock,
                secured.nats.url,
            )
            seeded = await platform.client.post("/api/v1/admin/demo", headers=OPERATOR)
            assert seeded.status_code == 200, seeded.text
            yield secured, platform, mailbox
    finally:
        smtp.stop()
