"""A platform for journeys through the gateway: identity, gateway and habilitation on one hand-turned
clock, demo data loaded, and the links identity mails read off the bus as the notification service would."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import nats
import pytest

from afas_shared.clock import ManualClock
from afas_shared.runtime import ServiceRuntime
from afas_shared.settings import LOCAL_ONLY_SECRET
from afas_shared.testing.fixtures import eventually, running

DEMO_PASSWORD = "Demo-Afas-2026!"
OPERATOR = {"Authorization": f"Bearer {LOCAL_ONLY_SECRET}"}


@dataclass
class Platform:
    client: httpx.AsyncClient
    identity: ServiceRuntime
    gateway: ServiceRuntime
    habilitation: ServiceRuntime
    clock: ManualClock
    nats_url: str

    async def login(self, identifier: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
        response = await self.client.post(
            "/api/v1/auth/login", json={"identifiant": identifier, "mot_de_passe": password}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['jeton']}"}

    async def amiens(self, headers: dict[str, str]) -> str:
        partners = (await self.client.get("/api/v1/partners", headers=headers)).json()
        return next(p["id"] for p in partners if p["raison_sociale"] == "Commune d'Amiens")

    async def new_amiens_user(self, admin: dict[str, str], **extra: str) -> dict:
        """Inès Garnier, created by Amiens's administrator: a new account waiting for its activation link."""
        email = "ines.garnier@amiens.example"
        created = await self.client.post(
            f"/api/v1/partners/{await self.amiens(admin)}/users",
            headers=admin,
            json={"nom": "Garnier", "prenom": "Inès", "email": email, "email_confirmation": email, **extra},
        )
        assert created.status_code == 201, created.text
        return created.json()

    async def mailed_link(self, event: str, user_id: str) -> str:
        """The token of the newest link identity asked to mail to this user (activation or reset)."""
        return (await self.mailed_links(event, user_id))[-1]

    async def mailed_links(self, event: str, user_id: str, count: int = 1) -> list[str]:
        """The tokens of the links identity asked to mail to this user, oldest first (at least ``count``), obtained
        as the notification service does: the event carries the link's reference, identity answers its URL."""
        names = self.identity.bus.names
        kind = "activation" if event.startswith("activation") else "reset"

        async def links() -> list[str] | None:
            nc = await nats.connect(self.nats_url)
            try:
                sub = await nc.jetstream().pull_subscribe(
                    names.subject(f"identity.{event}.v2"), durable=None, stream=names.stream("identity")
                )
                try:
                    messages = await sub.fetch(500, timeout=0.5)
                except TimeoutError:
                    messages = []
                refs = [
                    json.loads(m.data)["data"]["link_id"]
                    for m in messages
                    if json.loads(m.data)["data"]["user_id"] == user_id
                ]
                if len(refs) < count:
                    return None
                tokens = []
                for ref in refs:
                    reply = await nc.request(
                        names.rpc("identity", "mail_link"), json.dumps({"link_id": ref, "kind": kind}).encode()
                    )
                    answer = json.loads(reply.data)
                    tokens.append(answer["result"]["url"].split("jeton=")[1] if "result" in answer else None)
            finally:
                await nc.close()
            return tokens

        return await eventually(links, timeout=10)


@pytest.fixture
async def platform(make_settings, backends):
    async with started_platform(make_settings, backends) as started:
        yield started


@asynccontextmanager
async def started_platform(make_settings, backends) -> AsyncIterator[Platform]:
    """The platform of ``platform``, for a fixture of a wider scope (a module's one platform) to start its own."""
    clock = ManualClock(datetime(2026, 3, 2, 8, 0, tzinfo=UTC))
    async with AsyncExitStack() as stack:
        runtimes = {}
        for service in ("identity", "habilitation", "declaration"):
            runtimes[service] = await stack.enter_async_context(running(make_settings(service)))
            runtimes[service].clock = clock
        client = await stack.enter_async_context(
            httpx.AsyncClient(
                transport=httpx.ASGITransport(app=runtimes["declaration"].create_app()), base_url="http://gateway"
            )
        )
        seeded = await client.post("/api/v1/admin/demo", headers=OPERATOR)
        assert seeded.status_code == 200, seeded.text
        yield Platform(
            client, runtimes["identity"], runtimes["declaration"], runtimes["habilitation"], clock, backends.nats_url
        )


DEMO_ACTIVITIES = {
    "alsh": {
        "type": "alsh",
        "nature": "periscolaire",
        "nom": "ALSH Les Coccinelles",
        "mode_lieux": "multi_lieux_antennes",
        "lieux": ["École Jules Ferry", "École Victor Hugo"],
        "ideq": "ALSH0801",
    },
    "eaje": {
        "type": "eaje_psu",
        "nature": "multi_accueil",
        "nom": "Multi-accueil Les Lucioles",
        "places": 40,
        "ideq": "EAJE0801",
    },
    "laep": {"type": "laep", "nature": "general", "nom": "LAEP Petits Pas", "ideq": "LAEP0801"},
}


@dataclass
class DemoCatalogue:
    """The demo partner as habilitation sees it, with an ALSH on two sites, an EAJE and a LAEP."""

    agent: dict[str, str]
    admin: dict[str, str]
    partner: str
    users: dict[str, str]  # identifiant -> user id
    activities: dict[str, dict]


@pytest.fixture
async def catalogue(platform) -> DemoCatalogue:
    return await demo_catalogue(platform)


async def demo_catalogue(platform: Platform) -> DemoCatalogue:
    from sqlalchemy import func, select

    from afas_habilitation.adapters.tables import DeclarerMembership

    agent, admin = await platform.login("100000001"), await platform.login("200000001")
    partner = await platform.amiens(admin)
    users = {
        u["identifiant"]: u["id"]
        for u in (await platform.client.get(f"/api/v1/partners/{partner}/users", headers=admin)).json()
    }

    async def habilitation_knows_the_declarers() -> bool:
        async with platform.habilitation.db.sessions() as session:
            return (await session.execute(select(func.count()).select_from(DeclarerMembership))).scalar_one() >= 4

    await eventually(habilitation_knows_the_declarers, timeout=15)
    made = {}
    for key, body in DEMO_ACTIVITIES.items():
        response = await platform.client.post(
            "/api/v1/activities", headers=agent, json={"partenaire_id": partner, "date_ouverture": "2024-01-01", **body}
        )
        assert response.status_code == 201, response.text
        made[key] = response.json()
    return DemoCatalogue(agent, admin, partner, users, made)
