"""Declaration answers "may this user act?" from its own copy of habilitation's grants, revocations within a second."""

from __future__ import annotations

import time
import uuid

import pytest

from afas_declaration.adapters.tables import GrantLine
from afas_shared.messaging.rpc import RemoteError
from afas_shared.settings import LOCAL_ONLY_SECRET
from afas_shared.testing.fixtures import eventually

AGENT, ADMIN, KARIM, SOPHIE = "100000001", "200000001", "200000002", "200000003"
OPERATOR = {"Authorization": f"Bearer {LOCAL_ONLY_SECRET}"}


class Scene:
    """The demo partner with an ALSH on two sites and an EAJE, and its users logged in."""

    def __init__(self, platform, headers: dict[str, dict], users: dict[str, str], alsh: dict, eaje: dict) -> None:
        self.platform, self.headers, self.users, self.alsh, self.eaje = platform, headers, users, alsh, eaje

    async def grant(self, who: str, role: str, activity: dict, site: int | None = None, **extra) -> dict:
        scope = {"activite_id": activity["id"], "lieu_id": activity["lieux"][site]["id"] if site is not None else None}
        response = await self.platform.client.post(
            "/api/v1/grants",
            headers=self.headers[ADMIN],
            json={"utilisateur_id": self.users[who], "role": role, "perimetre": [scope], **extra},
        )
        assert response.status_code == 201, response.text
        [line] = response.json()
        return line

    async def check(self, who: str, action: str, activity: dict, site: int | None = None) -> bool:
        params = {"action": action, "activite": activity["id"]}
        if site is not None:
            params["lieu"] = activity["lieux"][site]["id"]
        response = await self.platform.client.get(
            "/api/v1/me/permissions/check", headers=self.headers[who], params=params
        )
        assert response.status_code == 200, response.text
        return response.json()["autorise"]

    async def known_here(self, grant_id: str) -> bool:
        async with self.platform.gateway.db.sessions() as session:
            return await session.get(GrantLine, uuid.UUID(grant_id)) is not None


async def _scene(platform, c) -> Scene:
    headers = {who: await platform.login(who) for who in (KARIM, SOPHIE)}
    headers.update({AGENT: c.agent, ADMIN: c.admin})
    return Scene(platform, headers, c.users, c.activities["alsh"], c.activities["eaje"])


async def test_an_fda_may_enter_activity_data_but_neither_finances_nor_transmit(platform, catalogue):
    s = await _scene(platform, catalogue)
    await s.grant(KARIM, "fda", s.eaje)
    later = await s.grant(KARIM, "fdf", s.eaje, date_debut="2026-09-01")

    await eventually(lambda: s.check(KARIM, "saisir_activite", s.eaje))
    await eventually(lambda: s.known_here(later["id"]))
    assert not await s.check(KARIM, "transmettre", s.eaje)
    assert not await s.check(KARIM, "saisir_financier", s.eaje)  # the fdf line starts in September
    assert not await s.check(SOPHIE, "saisir_activite", s.eaje)

    mine = await platform.client.get("/api/v1/me/permissions", headers=s.headers[KARIM])
    assert mine.json() == [
        {"role": "fda", "activite_id": s.eaje["id"], "lieu_id": None, "actions": ["saisir_activite"]}
    ]

    by_bus = await platform.gateway.request(
        "declaration", "may", {"user_id": s.users[KARIM], "action": "saisir_activite", "activity_id": s.eaje["id"]}
    )
    assert by_bus["result"] == {"allowed": True}
    elsewhere = {"user_id": s.users[KARIM], "action": "transmettre", "activity_id": s.eaje["id"], "site_id": None}
    assert (await platform.gateway.request("declaration", "may", elsewhere))["result"] == {"allowed": False}
    with pytest.raises(RemoteError) as refused:
        await platform.gateway.request("declaration", "may", {**elsewhere, "action": "supprimer"})
    assert refused.value.error == "invalid"

    operator = await platform.client.get("/api/v1/me/permissions", headers=OPERATOR)
    assert operator.status_code == 403 and "utilisateur" in operator.json()["detail"]
    unknown = await platform.client.get(
        "/api/v1/me/permissions/check",
        headers=s.headers[KARIM],
        params={"action": "supprimer", "activite": s.eaje["id"]},
    )
    assert unknown.status_code == 422


async def test_an_approbateur_transmits_only_once_the_caf_validated_it(platform, catalogue):
    s = await _scene(platform, catalogue)
    line = await s.grant(ADMIN, "approbateur", s.eaje)
    await eventually(lambda: s.known_here(line["id"]))
    assert not await s.check(ADMIN, "transmettre", s.eaje)

    validated = await platform.client.post(f"/api/v1/grants/{line['id']}/validate", headers=s.headers[AGENT])
    assert validated.status_code == 200, validated.text
    await eventually(lambda: s.check(ADMIN, "transmettre", s.eaje))
    assert await s.check(ADMIN, "saisir_financier", s.eaje)
    assert await s.check(ADMIN, "saisir_activite", s.eaje)
    assert not await s.check(ADMIN, "transmettre", s.alsh)  # per activity: the EAJE only


async def test_an_ended_grant_stops_acting_within_a_second(platform, catalogue, report_measurement):
    s = await _scene(platform, catalogue)
    line = await s.grant(KARIM, "fda", s.eaje)
    await eventually(lambda: s.check(KARIM, "saisir_activite", s.eaje))

    ended = await platform.client.post(f"/api/v1/grants/{line['id']}/end", headers=s.headers[ADMIN])
    assert ended.status_code == 200, ended.text
    started = time.monotonic()

    async def revoked() -> bool:
        return not await s.check(KARIM, "saisir_activite", s.eaje)

    await eventually(revoked, timeout=5, interval=0.02)
    elapsed = time.monotonic() - started
    report_measurement(f"grant end to refused check in declaration: {elapsed * 1000:.0f} ms")
    assert elapsed < 1.0
    assert (await platform.client.get("/api/v1/me/permissions", headers=s.headers[KARIM])).json() == []


async def test_a_site_fda_covers_only_its_site_an_activity_fda_every_site(platform, catalogue):
    s = await _scene(platform, catalogue)
    await s.grant(KARIM, "fda", s.alsh, site=0)
    await s.grant(SOPHIE, "fda", s.alsh)
    await eventually(lambda: s.check(KARIM, "saisir_activite", s.alsh, 0))
    await eventually(lambda: s.check(SOPHIE, "saisir_activite", s.alsh))

    assert not await s.check(KARIM, "saisir_activite", s.alsh, 1)
    assert not await s.check(KARIM, "saisir_activite", s.alsh)  # one site is not the whole activity
    assert await s.check(SOPHIE, "saisir_activite", s.alsh, 0)
    assert await s.check(SOPHIE, "saisir_activite", s.alsh, 1)
    mine = (await platform.client.get("/api/v1/me/permissions", headers=s.headers[KARIM])).json()
    assert [(p["activite_id"], p["lieu_id"]) for p in mine] == [(s.alsh["id"], s.alsh["lieux"][0]["id"])]
