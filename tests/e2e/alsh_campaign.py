"""An ALSH campaign opened on the demo partner, for browser tests that need a declaration being filled on two
sites next to the transmitted EAJE one."""

from __future__ import annotations

from datetime import timedelta

from afas_shared.testing.fixtures import eventually
from tests.integration.test_declaration_journey import ADMIN, KARIM


async def open_alsh_campaign(platform, catalogue, *, approbateur_validated: bool = False) -> str:
    """The ALSH prévisionnelle 2026 opened today, Karim its data provider and the administrator its approbateur
    (validated by the Caf when ``approbateur_validated``); the id of the declaration the campaign creates."""
    today = platform.clock.now().date()
    opened = await platform.client.post(
        "/api/v1/campaigns",
        headers=catalogue.agent,
        json={
            "type_activite": "alsh",
            "exercice": 2026,
            "type_declaration": "previsionnelle",
            "date_ouverture": today.isoformat(),
            "date_limite": (today + timedelta(days=30)).isoformat(),
        },
    )
    assert opened.status_code == 202, opened.text
    alsh = catalogue.activities["alsh"]["id"]
    for who, role in ((KARIM, "fda"), (ADMIN, "approbateur")):
        granted = await platform.client.post(
            "/api/v1/grants",
            headers=catalogue.admin,
            json={"utilisateur_id": catalogue.users[who], "role": role, "perimetre": [{"activite_id": alsh}]},
        )
        assert granted.status_code == 201, granted.text
        if role == "approbateur" and approbateur_validated:
            for line in granted.json():
                validated = await platform.client.post(f"/api/v1/grants/{line['id']}/validate", headers=catalogue.agent)
                assert validated.status_code == 200, validated.text

    async def alsh_declaration() -> str | None:
        listed = await platform.client.get("/api/v1/declarations?type_activite=alsh", headers=catalogue.agent)
        rows = listed.json()["elements"]
        return rows[0]["id"] if rows else None

    return await eventually(alsh_declaration, timeout=15)
