"""The declaration service's use cases without a broker: its real runtime on a SQLite file of its own, migrated
once per session and copied per test, with an in-memory bus in place of NATS.

The runtime is built as ``afas_declaration.bootstrap`` builds it (its consumers and responders from
``entrypoints.bus.register``), minus the gateway: the use cases never go through it. The bus records what the outbox
relay publishes (read back through the event registry, so every payload is checked against its contract) and answers
the requests the use cases make with the responders a test gives it; a service nobody answers for is unavailable, as
on the real bus when no responder listens. A verb with a request/reply contract (``afas_shared.contracts.rpc``) has
its request and its responder's reply checked against it, as its real responder would.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from afas_declaration import SERVICE, __version__
from afas_declaration.application import receipts
from afas_declaration.config import Settings
from afas_declaration.entrypoints import bus as declaration_bus
from afas_shared.bus import Bus
from afas_shared.clock import ManualClock
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.registry import parse
from afas_shared.contracts.rpc import RPC_CONTRACTS
from afas_shared.db import migrations
from afas_shared.messaging.relay import OutboxRelay
from afas_shared.messaging.rpc import RemoteError, ServiceUnavailable
from afas_shared.runtime import ServiceRuntime
from afas_shared.settings import CommonSettings

# A port nothing listens on: the runtime is never started, so nothing ever dials it.
UNUSED_BROKER = "nats://127.0.0.1:9"

Responder = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Request:
    """A request a use case made: whom it asked, and what."""

    service: str
    verb: str
    payload: dict[str, Any]


class _RecordingJetStream:
    """What the outbox relay publishes through: the broker's acknowledgement is immediate."""

    def __init__(self, bus: InMemoryBus) -> None:
        self._bus = bus

    async def publish_async(self, subject: str, payload: bytes, headers: dict[str, str] | None = None):
        self._bus.record(payload)
        acknowledged = asyncio.get_running_loop().create_future()
        acknowledged.set_result(None)
        return acknowledged


class InMemoryBus(Bus):
    """The runtime's bus without a broker: consumers and responders are registered as on the real one (the tests
    hand events to the consumers with ``afas_shared.testing.delivery.deliver``); publications and requests stay here."""

    def __init__(self, service: str, settings: Settings, tracer_provider) -> None:
        super().__init__(service, settings, tracer_provider)
        self.published: list[Envelope[Any]] = []
        self.requests: list[Request] = []
        self._responders: dict[tuple[str, str], Responder] = {}
        self._jetstream = _RecordingJetStream(self)

    def record(self, payload: bytes) -> None:
        raw = payload.decode()
        self.published.append(parse(json.loads(raw)["type"], raw))

    def answer(self, service: str, verb: str, responder: Responder | None) -> None:
        """``service``'s answer to ``verb`` from now on: the responder's reply (``{"error": …}`` is a refusal, as on
        the bus); None: nobody answers any more."""
        if responder is None:
            self._responders.pop((service, verb), None)
        else:
            self._responders[(service, verb)] = responder

    async def connect(self) -> None:
        self.started = True

    async def close(self) -> None:
        self.started = False

    def connected(self) -> bool:
        return True

    def jetstream(self) -> Any:
        return self._jetstream

    async def request(  # type: ignore[override]  # timeout and credential mean nothing without a network
        self, service: str, verb: str, payload: dict[str, Any] | None = None, *, version: int = 1, **_: Any
    ) -> dict[str, Any]:
        sent = json.loads(json.dumps(payload or {}))  # what would travel: JSON, nothing shared with the caller
        self.requests.append(Request(service, verb, sent))
        responder = self._responders.get((service, verb))
        if responder is None:
            raise ServiceUnavailable(service, "no responder")
        contract = RPC_CONTRACTS.get((service, verb, version))
        if contract is not None:
            contract.request.model_validate(sent, by_alias=True, by_name=False)
        body = await responder(sent)
        if "error" in body:
            raise RemoteError(service, body["error"], body.get("detail"), body.get("field"))
        if contract is not None:
            contract.reply_adapter().validate_python(body["result"] if contract.in_result else body)
        return body


def migrated_database(directory: Path) -> Path:
    """A SQLite file with declaration's migrations applied: made once, copied for each test."""
    path = directory / "declaration-template.db"
    migrations.upgrade("afas_declaration", f"sqlite:///{path}")
    return path


class DeclarationRuntime:
    """The declaration service's runtime on a copy of the migrated database, its clock in the test's hand."""

    def __init__(self, template: Path, directory: Path, now: datetime) -> None:
        database = directory / "declaration.db"
        shutil.copyfile(template, database)
        settings = Settings(
            common=CommonSettings(nats_url=UNUSED_BROKER, var_dir=directory),
            database_url=f"sqlite:///{database}",
            # the first receipt of the session starts the worker process: on a busy box that takes seconds
            receipt_wait_seconds=60,
        )
        runtime = ServiceRuntime(SERVICE, __version__, "afas_declaration", settings, configure_logs=False)
        self.bus = InMemoryBus(SERVICE, settings, runtime.tracer_provider)
        runtime.bus = self.bus
        runtime.relay = OutboxRelay(SERVICE, runtime.db, self.bus.jetstream, self.bus.names)
        declaration_bus.register(runtime)  # after the swap: the consumers wake this relay
        runtime.migrated = True
        self.clock = ManualClock(now)
        runtime.clock = self.clock
        self.runtime = runtime

    async def published(self, subject: str | None = None) -> list[Envelope[Any]]:
        """What the outbox held, published through the relay (committed events only), oldest first; only the events
        of ``subject`` (a contract subject, ``declaration.declaration_transmitted.v1``) when given."""
        while await self.runtime.relay.publish_batch():
            pass
        return [e for e in self.bus.published if subject is None or e.type == subject]

    async def close(self) -> None:
        await receipts.of(self.runtime).settle()  # no render left writing to a database about to go
        await self.runtime.db.dispose()
        self.runtime.tracer_provider.shutdown()
