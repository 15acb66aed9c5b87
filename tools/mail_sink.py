"""A local mail box for ``make run``: an SMTP server on 127.0.0.1 that keeps every message as a ``.eml`` file
under ``var/mails/`` instead of sending it anywhere — reminders, notices and activation links can be read."""

from __future__ import annotations

import itertools
import socket
from pathlib import Path


class MailSink:
    def __init__(self, directory: Path) -> None:
        from aiosmtpd.controller import Controller  # a dev dependency: make run installs the dev group

        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        counter = itertools.count(len(list(self.directory.glob("*.eml"))) + 1)

        class Keep:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
                path = directory / f"{next(counter):05d}.eml"
                path.write_bytes(envelope.original_content or envelope.content)
                return "250 Message accepted for delivery"

        with socket.socket() as probe:  # aiosmtpd checks its server by connecting to the port it was given
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.controller = Controller(Keep(), hostname="127.0.0.1", port=self.port)

    def start(self) -> int:
        self.controller.start()
        return self.port

    def stop(self) -> None:
        self.controller.stop()
