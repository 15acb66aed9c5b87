"""A minimal service made only of the shared pieces (outbox, relay, bus, consumer) for the guarantee tests."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterator

import pytest
import sqlalchemy as sa
from opentelemetry.sdk.trace import TracerProvider
from pydantic_settings import SettingsConfigDict
from sqlmodel import Field, SQLModel

from afas_shared.bus import Bus
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.identity import UserCreatedV1
from afas_shared.db.engine import Database
from afas_shared.messaging.relay import OutboxRelay
from afas_shared.messaging.tables import DeadLetter, DeadLetterAction, InboxRecord, OutboxRecord
from afas_shared.messaging.unit_of_work import UnitOfWork, unit_of_work
from afas_shared.settings import CommonSettings, ServiceSettings


class ProbeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AFAS_PROBE_", extra="ignore")


class ProbeEffect(SQLModel, table=True):
    """One row per time a handler's work committed; deliberately no unique key, so a double shows."""

    __tablename__ = "probe_effect"
    id: int | None = Field(default=None, primary_key=True)
    event_id: str


class Probe:
    def __init__(self, settings: ProbeSettings) -> None:
        self.settings = settings
        self.db = Database(settings.database_url)
        # It stands in for identity as a producer, so its outbox feeds the identity stream.
        self.bus = Bus("identity", settings, TracerProvider())
        self.relay = OutboxRelay("probe", self.db, self.bus.jetstream, self.bus.names, poll_seconds=0.2)
        self.calls = 0

    def consume(self, handler: Callable[[UnitOfWork, Envelope], Awaitable[None]] | None = None) -> None:
        async def record(uow: UnitOfWork, envelope: Envelope) -> None:
            self.calls += 1
            uow.session.add(ProbeEffect(event_id=str(envelope.id)))
            if handler is not None:
                await handler(uow, envelope)

        self.bus.consume(UserCreatedV1, record, self.db, self.relay.wake, name="probe")

    async def start(self, relay: bool = True) -> None:
        async with self.db.engine.begin() as conn:
            await conn.run_sync(
                SQLModel.metadata.create_all,
                tables=[
                    OutboxRecord.__table__,
                    InboxRecord.__table__,
                    DeadLetter.__table__,
                    DeadLetterAction.__table__,
                    ProbeEffect.__table__,
                ],
            )
        await self.bus.connect()
        if relay:
            self.relay.start()

    async def stop(self) -> None:
        await self.relay.stop()
        await self.bus.close()
        await self.db.dispose()

    async def emit(self, count: int = 1, per_transaction: int = 1) -> list[str]:
        ids = []
        for start in range(0, count, per_transaction):
            async with unit_of_work(self.db, self.relay.wake) as uow:
                for i in range(start, min(count, start + per_transaction)):
                    user_id = uuid.uuid4()
                    event = UserCreatedV1(
                        user_id=user_id,
                        identifier=f"{100000000 + i}",
                        last_name="Probe",
                        first_name=f"N{i}",
                        email=f"probe{i}@example.org",
                    )
                    ids.append(str(uow.publish(event, subject=str(user_id), aggregate_version=1).id))
        return ids

    async def count(self, table) -> int:
        async with self.db.sessions() as session:
            return (await session.execute(sa.select(sa.func.count()).select_from(table))).scalar_one()

    async def effects(self) -> list[str]:
        async with self.db.sessions() as session:
            return list((await session.execute(sa.select(ProbeEffect.event_id))).scalars())

    async def stream_messages(self) -> int:
        info = await self.bus.js.stream_info(self.bus.names.stream("identity"))
        return info.state.messages


@pytest.fixture
def probe_settings(backends, common_settings: CommonSettings) -> Iterator[Callable[..., ProbeSettings]]:
    made: list[str] = []

    def make(common: CommonSettings | None = None, **overrides) -> ProbeSettings:
        made.append(backends.database_url("probe"))
        values = {
            "database_url": made[-1],
            "consumer_max_deliver": 3,
            "consumer_backoff_seconds": [0.1, 0.2],
            "consumer_ack_wait_seconds": 3.0,
        }
        values.update(overrides)
        return ProbeSettings(common=common or common_settings, **values)

    yield make
    backends.release(made)  # the probes are stopped by now (``probe`` depends on this fixture)


@pytest.fixture
async def probe(probe_settings):
    probes: list[Probe] = []

    async def make(consume: bool = True, handler=None, relay: bool = True, also=(), **overrides) -> Probe:
        """``also``: more consumers of the same event, ``(name, handler)``, each with its own durable."""
        p = Probe(probe_settings(**overrides))
        if consume:
            p.consume(handler)
        for name, other in also:
            p.bus.consume(UserCreatedV1, other, p.db, p.relay.wake, name=name)
        await p.start(relay=relay)
        probes.append(p)
        return p

    yield make
    for p in probes:
        await p.stop()
