"""A real SMTP server (aiosmtpd) on a free port, a hand-turned clock, and a notification service fed with events
over the real bus (published through its own outbox, consumed by its own consumers)."""

from __future__ import annotations

import socket
import threading
import uuid
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from fastapi.encoders import jsonable_encoder

from afas_notification.adapters.tables import Message
from afas_notification.application import schedule, sender
from afas_shared.clock import PARIS, ManualClock
from afas_shared.contracts.envelope import EventData
from afas_shared.contracts.events.declaration import CampaignOpenedV1, DeclarationExpectedV1, ExpectedFormV1
from afas_shared.contracts.events.habilitation import ActivityRegisteredV1, RoleGrantedV1, SiteV1
from afas_shared.contracts.events.identity import UserCreatedV1
from afas_shared.messaging.rpc import RemoteError
from afas_shared.messaging.tables import InboxRecord
from afas_shared.runtime import ServiceRuntime
from afas_shared.testing.credentials import credential_for
from afas_shared.testing.fixtures import eventually, running


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """What the SMTP server accepted, parsed."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd handler hook
        with self._lock:
            self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        with self._lock:
            return list(self.received)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages() if m["To"] == address]


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.mailbox = Mailbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


def paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS)


@dataclass
class Notif:
    runtime: ServiceRuntime
    clock: ManualClock

    async def emit(self, data: EventData, subject: str | None = None, version: int = 1) -> None:
        """Publish an event (as its producer would) and wait until this service consumed it."""
        async with self.runtime.unit_of_work() as uow:
            envelope = uow.publish(data, subject=subject or str(uuid.uuid4()), aggregate_version=version)

        async def consumed() -> bool:
            async with self.runtime.db.sessions() as session:
                found = await session.execute(
                    sa.select(InboxRecord.event_id).where(InboxRecord.event_id == str(envelope.id))
                )
                return found.first() is not None

        await eventually(consumed, timeout=15)

    async def plan(self) -> int:
        return await schedule.run_due(self.runtime)

    async def send(self) -> int:
        return await sender.send_due(self.runtime)

    async def at(self, moment: datetime) -> None:
        """Move the clock, then plan and send what is due, as the periodic jobs would."""
        self.clock.set(moment)
        await self.plan()
        await self.send()

    async def rpc(self, verb: str, actor: dict[str, Any] | None = None, **payload: Any) -> dict[str, Any]:
        """The reply, or ``{"error": code}`` for a refusal."""
        try:
            return await self.runtime.request(
                "notification", verb, jsonable_encoder(payload), credential=credential_for(self.runtime, actor)
            )
        except RemoteError as exc:
            return {"error": exc.error, "detail": exc.detail}

    async def messages(self) -> list[Message]:
        async with self.runtime.db.sessions() as session:
            return list((await session.execute(sa.select(Message).order_by(Message.created_at))).scalars())


@asynccontextmanager
async def notification(settings, clock: ManualClock):
    async with running(settings, clock=clock) as runtime:
        yield Notif(runtime, clock)


@pytest.fixture
def notif_settings(make_settings, smtp):
    def make(**overrides: Any):
        values = {
            "smtp_port": smtp.port,
            "schedule_check_seconds": 3600,  # the tests turn the clock and run the jobs themselves
            "mail_poll_seconds": 3600,
            "mail_retry_seconds": [60.0, 300.0],
            "public_base_url": "https://afas.test",
        }
        values.update(overrides)
        return make_settings("notification", **values)

    return make


# --- a small world: a partner, its activity, its declarants ---------------------------------------------------------


@dataclass
class World:
    partner_id: uuid.UUID = field(default_factory=uuid.uuid4)
    users: dict[str, uuid.UUID] = field(default_factory=dict)
    activities: dict[str, uuid.UUID] = field(default_factory=dict)
    campaign_id: uuid.UUID = field(default_factory=uuid.uuid4)

    def email(self, name: str) -> str:
        return f"{name}@asso.example"

    def actor(self, name: str) -> dict[str, Any]:
        return {"kind": "partner", "sub": str(self.users[name]), "partner_id": str(self.partner_id)}


async def add_user(n: Notif, world: World, name: str) -> uuid.UUID:
    user_id = world.users.setdefault(name, uuid.uuid4())
    await n.emit(
        UserCreatedV1(
            user_id=user_id,
            identifier=f"{abs(hash(name)) % 10**9:09d}",
            last_name=name.capitalize(),
            first_name=f"Prénom-{name}",
            email=world.email(name),
            partner_id=world.partner_id,
        ),
        subject=str(user_id),
    )
    return user_id


async def add_activity(n: Notif, world: World, key: str, name: str, caf: str = "080") -> uuid.UUID:
    activity_id = world.activities.setdefault(key, uuid.uuid4())
    await n.emit(
        ActivityRegisteredV1(
            activity_id=activity_id,
            partner_id=world.partner_id,
            caf_code=caf,
            family="alsh",
            nature="periscolaire",
            name=name,
            site_mode="mono_lieu",
            sites=[SiteV1(site_id=uuid.uuid4(), name=name)],
            opening_date=date(2024, 1, 1),
        ),
        subject=str(activity_id),
    )
    return activity_id


async def grant(n: Notif, world: World, user: str, role: str, activity: str, validation: str = "not_required"):
    grant_id = uuid.uuid4()
    await n.emit(
        RoleGrantedV1(
            grant_id=grant_id,
            group_id=uuid.uuid4(),
            user_id=world.users[user],
            partner_id=world.partner_id,
            role=role,
            activity_id=world.activities[activity],
            start_date=date(2025, 1, 1),
            validation=validation,
        ),
        subject=str(grant_id),
    )
    return grant_id


async def open_campaign(n: Notif, world: World, opening: date, deadline: date, caf: str = "080") -> None:
    await n.emit(
        CampaignOpenedV1(
            campaign_id=world.campaign_id,
            caf_code=caf,
            family="alsh",
            exercice=2026,
            declaration_type="previsionnelle",
            opening_date=opening,
            deadline=deadline,
            form_version="2026.1",
        ),
        subject=str(world.campaign_id),
    )


async def expect(n: Notif, world: World, activity: str, deadline: date, caf: str = "080") -> dict[str, uuid.UUID]:
    """The activity's declaration is expected, with an activity form and a financial form."""
    ids = {"declaration": uuid.uuid4(), "activite": uuid.uuid4(), "financier": uuid.uuid4()}
    await n.emit(
        DeclarationExpectedV1(
            declaration_id=ids["declaration"],
            campaign_id=world.campaign_id,
            activity_id=world.activities[activity],
            partner_id=world.partner_id,
            caf_code=caf,
            exercice=2026,
            declaration_type="previsionnelle",
            deadline=deadline,
            forms=[
                ExpectedFormV1(form_id=ids["activite"], kind="activite", requested=True),
                ExpectedFormV1(form_id=ids["financier"], kind="financier", requested=True),
            ],
        ),
        subject=str(ids["declaration"]),
    )
    return ids


@asynccontextmanager
async def identity_links(n: Notif, urls: dict[str, str]):
    """Stands in for identity's ``mail_link`` verb: the URL of each link id in ``urls``, else "no longer valid"."""
    import json

    import nats

    asked: list[dict[str, Any]] = []
    client = await nats.connect(n.runtime.settings.common.nats_url)

    async def answer(msg) -> None:
        request = json.loads(msg.data)
        asked.append(request)
        url = urls.get(request.get("link_id"))
        body = {"result": {"url": url}} if url else {"error": "invalid", "detail": "Ce lien n'est plus valable."}
        await msg.respond(json.dumps(body).encode())

    await client.subscribe(n.runtime.bus.names.rpc("identity", "mail_link"), cb=answer)
    await client.flush()
    try:
        yield asked
    finally:
        await client.close()


@pytest.fixture
def kit():
    """The helpers above, for the test modules (which cannot import this conftest by name)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        World=World,
        add_user=add_user,
        add_activity=add_activity,
        grant=grant,
        open_campaign=open_campaign,
        expect=expect,
        notification=notification,
        identity_links=identity_links,
        paris=paris,
        SmtpServer=SmtpServer,
        free_port=free_port,
    )
