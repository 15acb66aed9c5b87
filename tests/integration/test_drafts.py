"""Filling forms through the gateway: drafts under optimistic versions, scope, validation, totals, prefill."""

from __future__ import annotations

from datetime import timedelta

from afas_shared.testing.fixtures import eventually

KARIM, SOPHIE, LUCAS = "200000002", "200000003", "200000004"
BUDGET = {
    "charges_60": "12000",
    "charges_61": "3000,50",
    "charges_62": "1500",
    "charges_63": "500",
    "charges_64": "85000",
    "charges_65": "999.50",
    "produits_70": "20000",
    "produits_74_caf": "30000",
    "produits_74_commune": "50000",
    "produits_74_departement": "0",
    "produits_74_autres": "0",
    "produits_75": "1000",
}


async def _declaration_with_roles(platform, catalogue, kind: str = "previsionnelle") -> tuple[str, dict]:
    from sqlalchemy import func, select

    from afas_declaration.adapters.tables import ActivityCopy, GrantLine

    async def copied() -> bool:
        async with platform.gateway.db.sessions() as session:
            return (await session.execute(select(func.count()).select_from(ActivityCopy))).scalar_one() >= 3

    await eventually(copied, timeout=10)
    today = platform.clock.now().date()
    opened = await platform.client.post(
        "/api/v1/campaigns",
        headers=catalogue.agent,
        json={
            "type_activite": "alsh",
            "exercice": 2026,
            "type_declaration": kind,
            "date_ouverture": today.isoformat(),
            "date_limite": (today + timedelta(days=30)).isoformat(),
        },
    )
    assert opened.status_code == 201, opened.text
    alsh = catalogue.activities["alsh"]
    for who, role, site in ((KARIM, "fda", 0), (LUCAS, "fda", 1), (SOPHIE, "fdf", None)):
        response = await platform.client.post(
            "/api/v1/grants",
            headers=catalogue.admin,
            json={
                "utilisateur_id": catalogue.users[who],
                "role": role,
                "perimetre": [
                    {"activite_id": alsh["id"], "lieu_id": alsh["lieux"][site]["id"] if site is not None else None}
                ],
            },
        )
        assert response.status_code in (201, 409), response.text  # 409: already granted by an earlier call

    async def read_model_has_them() -> bool:
        async with platform.gateway.db.sessions() as session:
            return (await session.execute(select(func.count()).select_from(GrantLine))).scalar_one() >= 3

    await eventually(read_model_has_them, timeout=10)
    [declaration] = [
        d
        for d in (await platform.client.get("/api/v1/declarations", headers=catalogue.agent)).json()
        if d["type_declaration"] == {"previsionnelle": "Prévisionnelle", "reelle": "Réelle"}[kind]
    ]
    headers = {who: await platform.login(who) for who in (KARIM, SOPHIE, LUCAS)}
    return declaration["id"], headers


async def test_each_provider_sees_and_saves_only_its_form_and_a_stale_save_is_refused(platform, catalogue):
    declaration, headers = await _declaration_with_roles(platform, catalogue)
    karim_view = (await platform.client.get(f"/api/v1/declarations/{declaration}", headers=headers[KARIM])).json()
    [karim_form] = karim_view["formulaires"]
    assert (karim_form["type"], karim_form["lieu"], karim_form["version"]) == ("activite", "École Jules Ferry", 0)
    assert "Accueil du mercredi" in [s["libelle"] for s in karim_form["sections"]]
    sophie_view = (await platform.client.get(f"/api/v1/declarations/{declaration}", headers=headers[SOPHIE])).json()
    [budget_form] = sophie_view["formulaires"]
    assert budget_form["titre"] == "Budget prévisionnel"

    url = f"/api/v1/forms/{karim_form['id']}"
    saved = await platform.client.put(
        url,
        headers=headers[KARIM],
        json={
            "version": 0,
            "valeurs": {"jours_ouverture": 140, "heures_realisees": "12500,5", "part_regime_general": "92"},
        },
    )
    assert saved.status_code == 200, saved.text
    body = saved.json()
    assert (body["version"], body["enregistre_par"], body["etat"]) == (1, "Karim Bernard", "En cours de saisie")
    assert body["valeurs"]["heures_realisees"] == "12500.5" and body["enregistre_a"]
    stale = await platform.client.put(url, headers=headers[KARIM], json={"version": 0, "valeurs": {}})
    assert stale.status_code == 409 and "par Karim Bernard" in stale.json()["detail"]
    assert (
        await platform.client.put(url, headers=headers[LUCAS], json={"version": 1, "valeurs": {}})
    ).status_code == 403
    listed = (await platform.client.get("/api/v1/declarations", headers=headers[KARIM])).json()
    assert listed[0]["etat"] == "En cours de saisie"


async def test_values_are_checked_and_totals_computed_never_typed(platform, catalogue):
    declaration, headers = await _declaration_with_roles(platform, catalogue)
    [form] = (await platform.client.get(f"/api/v1/declarations/{declaration}", headers=headers[SOPHIE])).json()[
        "formulaires"
    ]
    url = f"/api/v1/forms/{form['id']}"
    for values, field in (
        ({"charges_60": "-5"}, "charges_60"),
        ({"inconnu": "1"}, "inconnu"),
        ({"total_charges": "1000"}, "total_charges"),
        ({"charges_61": "douze"}, "charges_61"),
    ):
        response = await platform.client.put(url, headers=headers[SOPHIE], json={"version": 0, "valeurs": values})
        assert response.status_code == 422, (values, response.text)
        assert response.json()["detail"][0]["loc"] == ["body", "valeurs", field]
    saved = await platform.client.put(url, headers=headers[SOPHIE], json={"version": 0, "valeurs": BUDGET})
    assert saved.status_code == 200, saved.text
    values = saved.json()["valeurs"]
    assert values["total_charges"] == "103000.00"
    assert values["total_produits"] == "101000.00"
    assert values["resultat"] == "-2000.00"


async def test_prefill_from_the_previous_declaration_of_the_activity(platform, catalogue):
    first, headers = await _declaration_with_roles(platform, catalogue, "previsionnelle")
    [form] = (await platform.client.get(f"/api/v1/declarations/{first}", headers=headers[SOPHIE])).json()["formulaires"]
    assert (
        await platform.client.put(
            f"/api/v1/forms/{form['id']}", headers=headers[SOPHIE], json={"version": 0, "valeurs": BUDGET}
        )
    ).status_code == 200
    second, _ = await _declaration_with_roles(platform, catalogue, "reelle")
    [actual] = (await platform.client.get(f"/api/v1/declarations/{second}", headers=headers[SOPHIE])).json()[
        "formulaires"
    ]
    assert actual["titre"] == "Compte de résultat" and actual["valeurs"] == {}
    prefilled = await platform.client.post(
        f"/api/v1/forms/{actual['id']}/prefill", headers=headers[SOPHIE], json={"version": 0}
    )
    assert prefilled.status_code == 200, prefilled.text
    assert prefilled.json()["valeurs"]["charges_61"] == "3000.50"
    assert prefilled.json()["valeurs"]["total_charges"] == "103000.00"
    nothing_before = await platform.client.post(
        f"/api/v1/forms/{form['id']}/prefill", headers=headers[SOPHIE], json={"version": 1}
    )
    assert nothing_before.status_code == 404


async def test_the_caf_reads_every_form_but_edits_none(platform, catalogue):
    declaration, _ = await _declaration_with_roles(platform, catalogue)
    view = (await platform.client.get(f"/api/v1/declarations/{declaration}", headers=catalogue.agent)).json()
    assert len(view["formulaires"]) == 3 and not any(f["modifiable"] for f in view["formulaires"])
    stranger = await platform.login("200000001")  # the administrator holds no role on this activity
    assert (await platform.client.get(f"/api/v1/declarations/{declaration}", headers=stranger)).status_code == 403
