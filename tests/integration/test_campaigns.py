"""Campaigns through the gateway: the Caf's calendar as the API takes it, its refusals as the API spells them.
What a campaign makes expected is tested at the use-case level (``services/declaration/tests``)."""

from __future__ import annotations

from datetime import timedelta


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
        assert response.status_code == 202, response.text
        # Its date has passed: its opening is a job, followed at « suivi » (the Caf's own, not another Caf's)
        opening = await platform.client.get(response.json()["suivi"], headers=catalogue.agent)
        assert opening.status_code == 200 and opening.json()["etat"] in ("en_cours", "terminee"), opening.text
        assert opening.json()["libelle"] == "Ouverture de la campagne"
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
