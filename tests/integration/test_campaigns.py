"""Campaigns through the gateway: the Caf's calendar, and the declarations it makes expected."""

from __future__ import annotations

from datetime import timedelta

from afas_declaration.application.campaigns import open_due
from afas_shared.testing.fixtures import eventually

KARIM = "200000002"


def _campaign(
    platform, family: str, kind: str = "previsionnelle", exercice: int = 2026, opens_in: int = 0, lasts: int = 60
) -> dict:
    opening = platform.clock.now().date() + timedelta(days=opens_in)
    return {
        "type_activite": family,
        "exercice": exercice,
        "type_declaration": kind,
        "date_ouverture": opening.isoformat(),
        "date_limite": (opening + timedelta(days=lasts)).isoformat(),
    }


async def _declarations(platform, headers) -> list[dict]:
    response = await platform.client.get("/api/v1/declarations", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _copied(platform, catalogue) -> None:
    """The declaration service learns the catalogue from habilitation's events."""
    from sqlalchemy import func, select

    from afas_declaration.adapters.tables import ActivityCopy

    async def all_there() -> bool:
        async with platform.gateway.db.sessions() as session:
            count = (await session.execute(select(func.count()).select_from(ActivityCopy))).scalar_one()
        return count >= len(catalogue.activities)

    await eventually(all_there, timeout=10)


async def test_opening_a_campaign_makes_each_activity_declaration_expected_with_its_forms(platform, catalogue):
    await _copied(platform, catalogue)
    opened = await platform.client.post("/api/v1/campaigns", headers=catalogue.agent, json=_campaign(platform, "alsh"))
    assert opened.status_code == 201, opened.text
    assert opened.json()["ouverte"] is True and opened.json()["type_declaration_libelle"] == "Prévisionnelle"
    [declaration] = await _declarations(platform, catalogue.agent)
    assert (declaration["activite"], declaration["exercice"], declaration["etat"]) == (
        "ALSH Les Coccinelles",
        2026,
        "À saisir",
    )
    assert [(f["type"], f["lieu"]) for f in declaration["formulaires"]] == [
        ("Données d'activité", "École Jules Ferry"),
        ("Données d'activité", "École Victor Hugo"),
        ("Données financières", None),
    ]

    karim = await platform.login(KARIM)
    assert await _declarations(platform, karim) == []  # no role yet
    site = catalogue.activities["alsh"]["lieux"][0]["id"]
    granted = await platform.client.post(
        "/api/v1/grants",
        headers=catalogue.admin,
        json={
            "utilisateur_id": catalogue.users[KARIM],
            "role": "fda",
            "perimetre": [{"activite_id": catalogue.activities["alsh"]["id"], "lieu_id": site}],
        },
    )
    assert granted.status_code == 201
    mine = await eventually(lambda: _declarations(platform, karim), timeout=10)
    assert [d["id"] for d in mine] == [declaration["id"]]


async def test_the_2023_calendar_of_seed_001_is_expressible_and_bad_calendars_are_refused(platform, catalogue):
    calendar = [
        ("eaje_psu", "previsionnelle", "2022-12-15", "2023-02-15"),
        ("eaje_psu", "actualisee_juin", "2023-06-15", "2023-07-05"),
        ("alsh", "actualisee_septembre", "2023-09-15", "2023-10-05"),
        ("rpe", "reelle", "2024-01-15", "2024-03-31"),
    ]
    for family, kind, opening, deadline in calendar:
        response = await platform.client.post(
            "/api/v1/campaigns",
            headers=catalogue.agent,
            json={
                "type_activite": family,
                "exercice": 2023,
                "type_declaration": kind,
                "date_ouverture": opening,
                "date_limite": deadline,
            },
        )
        assert response.status_code == 201, response.text
    listed = (await platform.client.get("/api/v1/campaigns", headers=catalogue.agent)).json()
    assert len(listed) == 4 and {c["caf"] for c in listed} == {"080"}
    again = await platform.client.post(
        "/api/v1/campaigns",
        headers=catalogue.agent,
        json={
            "type_activite": "rpe",
            "exercice": 2023,
            "type_declaration": "reelle",
            "date_ouverture": "2024-01-15",
            "date_limite": "2024-03-31",
        },
    )
    assert again.status_code == 409
    backwards = await platform.client.post(
        "/api/v1/campaigns", headers=catalogue.agent, json=_campaign(platform, "laep", lasts=-1)
    )
    assert backwards.status_code == 422 and backwards.json()["detail"][0]["loc"] == ["body", "date_limite"]
    unknown = await platform.client.post(
        "/api/v1/campaigns", headers=catalogue.agent, json=_campaign(platform, "colonie")
    )
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"] == ["body", "type_activite"]
    partner = await platform.client.post("/api/v1/campaigns", headers=catalogue.admin, json=_campaign(platform, "clas"))
    assert partner.status_code == 403


async def test_a_campaign_opens_on_its_date_and_later_activities_join_it(platform, catalogue):
    await _copied(platform, catalogue)
    future = await platform.client.post(
        "/api/v1/campaigns", headers=catalogue.agent, json=_campaign(platform, "eaje_psu", opens_in=10)
    )
    assert future.status_code == 201 and future.json()["ouverte"] is False
    assert await _declarations(platform, catalogue.agent) == []
    platform.clock.advance(timedelta(days=10))
    assert await open_due(platform.gateway) == 1
    assert await open_due(platform.gateway) == 0  # opening twice expects nothing twice
    agent = await platform.login("100000001")  # the earlier session expired with the days
    [lucioles] = await _declarations(platform, agent)
    assert lucioles["activite"] == "Multi-accueil Les Lucioles" and len(lucioles["formulaires"]) == 2

    created = await platform.client.post(
        "/api/v1/activities",
        headers=agent,
        json={
            "partenaire_id": catalogue.partner,
            "type": "eaje_psu",
            "nature": "micro_creche_psu",
            "nom": "Micro-crèche Les Petits Loups",
            "places": 10,
            "date_ouverture": "2025-01-01",
            "ideq": "EAJE0802",
        },
    )
    assert created.status_code == 201
    await eventually(lambda: _count(platform, agent, 2), timeout=10)
    closed_long_ago = await platform.client.post(
        "/api/v1/activities",
        headers=agent,
        json={
            "partenaire_id": catalogue.partner,
            "type": "eaje_psu",
            "nature": "halte_garderie",
            "nom": "Ancienne halte",
            "places": 12,
            "date_ouverture": "2010-01-01",
            "date_fermeture": "2015-12-31",
            "ideq": "EAJE0803",
        },
    )
    assert closed_long_ago.status_code == 201
    await _copied(platform, catalogue)
    assert len(await _declarations(platform, agent)) == 2  # not active during the exercice


async def _count(platform, headers, expected: int) -> bool:
    return len(await _declarations(platform, headers)) == expected
