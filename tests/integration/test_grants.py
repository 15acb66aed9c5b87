"""Role grants through the gateway: the rules, the Caf's validation of approbateurs, automatic ends."""

from __future__ import annotations

from afas_shared.testing.fixtures import eventually

AGENT, ADMIN, KARIM, SOPHIE, LUCAS = "100000001", "200000001", "200000002", "200000003", "200000004"


class Scene:
    """The demo partner as habilitation sees it, with three activities of different families."""

    def __init__(self, platform, agent, admin, partner, users, alsh, eaje, laep):
        self.platform, self.agent, self.admin, self.partner, self.users = platform, agent, admin, partner, users
        self.alsh, self.eaje, self.laep = alsh, eaje, laep

    async def grant(self, who: str, role: str, scope: list[dict], headers=None, **extra):
        body = {"utilisateur_id": self.users[who], "role": role, "perimetre": scope, **extra}
        return await self.platform.client.post("/api/v1/grants", headers=headers or self.admin, json=body)

    async def grants(self, etat: str | None = None) -> list[dict]:
        params = {"etat": etat} if etat else {}
        response = await self.platform.client.get(
            f"/api/v1/partners/{self.partner}/grants", headers=self.agent, params=params
        )
        return response.json()


def _scene(platform, c) -> Scene:
    a = c.activities
    return Scene(platform, c.agent, c.admin, c.partner, dict(c.users), a["alsh"], a["eaje"], a["laep"])


def on(activity: dict, site: int | None = None) -> dict:
    return {"activite_id": activity["id"], "lieu_id": activity["lieux"][site]["id"] if site is not None else None}


async def test_grants_follow_the_rules_and_the_approbateur_waits_for_the_caf(platform, catalogue):
    s = _scene(platform, catalogue)
    fda = await s.grant(KARIM, "fda", [on(s.alsh), on(s.eaje)])
    assert fda.status_code == 201, fda.text
    assert [(g["activite"], g["etat"]) for g in fda.json()] == [
        ("ALSH Les Coccinelles", "Actif"),
        ("Multi-accueil Les Lucioles", "Actif"),
    ]
    assert len({g["habilitation"] for g in fda.json()}) == 1  # one grant per role, on several activities

    approbateur = await s.grant(ADMIN, "approbateur", [on(s.eaje)])
    [line] = approbateur.json()
    assert (line["validation"], line["etat"]) == ("En attente de validation par votre Caf", "Inactif")
    queue = (await platform.client.get("/api/v1/grants/pending", headers=s.agent)).json()
    assert [g["id"] for g in queue] == [line["id"]]
    assert (await platform.client.post(f"/api/v1/grants/{line['id']}/validate", headers=s.admin)).status_code == 403
    validated = await platform.client.post(f"/api/v1/grants/{line['id']}/validate", headers=s.agent)
    assert validated.status_code == 200 and validated.json()["etat"] == "Actif"
    assert (await platform.client.get("/api/v1/grants/pending", headers=s.agent)).json() == []

    second = await s.grant(LUCAS, "approbateur", [on(s.eaje)])
    assert second.status_code == 409 and "un seul approbateur" in second.json()["detail"]
    assert (await s.grant(SOPHIE, "fda", [on(s.eaje)])).status_code == 201
    third = await s.grant(LUCAS, "fda", [on(s.eaje)])
    assert third.status_code == 409 and "Au plus deux personnes" in third.json()["detail"]
    again = await s.grant(KARIM, "fda", [on(s.eaje)])
    assert again.status_code == 409


async def test_bad_grants_name_the_rule(platform, catalogue):
    s = _scene(platform, catalogue)
    site_on_eaje = await s.grant(KARIM, "fda", [{"activite_id": s.eaje["id"], "lieu_id": s.alsh["lieux"][0]["id"]}])
    assert (
        site_on_eaje.status_code == 422 and "n'appartient pas à l'activité" in site_on_eaje.json()["detail"][0]["msg"]
    )
    fdf_on_site = await s.grant(KARIM, "fdf", [on(s.alsh, 0)])
    assert fdf_on_site.status_code == 422 and fdf_on_site.json()["detail"][0]["loc"] == ["body", "perimetre"]
    backwards = await s.grant(KARIM, "fda", [on(s.laep)], date_debut="2026-06-01", date_fin="2026-05-01")
    assert backwards.status_code == 422 and backwards.json()["detail"][0]["loc"] == ["body", "date_fin"]
    by_declarant = await s.grant(SOPHIE, "fda", [on(s.laep)], headers=await platform.login(KARIM))
    assert by_declarant.status_code == 403
    newcomer = await platform.client.post(
        f"/api/v1/partners/{s.partner}/users",
        headers=s.admin,
        json={
            "nom": "Garnier",
            "prenom": "Inès",
            "email": "ines.garnier@amiens.example",
            "email_confirmation": "ines.garnier@amiens.example",
        },
    )
    s.users["newcomer"] = newcomer.json()["id"]
    await eventually(lambda: _known(platform, s.users["newcomer"]), timeout=10)
    outsider = await s.grant("newcomer", "fda", [on(s.laep)])
    assert outsider.status_code == 409 and "AFAS-DECLARER" in outsider.json()["detail"]
    # nothing partial: the failed requests left no line behind
    assert await s.grants() == []
    per_site = await s.grant(KARIM, "fda", [on(s.alsh, 0), on(s.alsh, 1)])
    assert per_site.status_code == 201 and [g["lieu_id"] for g in per_site.json()] == [
        s.alsh["lieux"][0]["id"],
        s.alsh["lieux"][1]["id"],
    ]


async def _known(platform, user_id: str) -> bool:
    import uuid

    from afas_shared.read_models.user_directory import KnownUser

    async with platform.habilitation.db.sessions() as session:
        return await session.get(KnownUser, uuid.UUID(user_id)) is not None


async def test_one_person_may_hold_every_role_and_a_rejected_or_ended_grant_is_history(platform, catalogue):
    s = _scene(platform, catalogue)
    for role in ("fda", "fdf", "approbateur"):
        assert (await s.grant(ADMIN, role, [on(s.laep)])).status_code == 201
    [pending] = (await platform.client.get("/api/v1/grants/pending", headers=s.agent)).json()
    no_reason = await platform.client.post(f"/api/v1/grants/{pending['id']}/reject", headers=s.agent, json={})
    assert no_reason.status_code == 422
    rejected = await platform.client.post(
        f"/api/v1/grants/{pending['id']}/reject",
        headers=s.agent,
        json={"motif": "Approbateur déjà désigné par délibération"},
    )
    assert rejected.status_code == 200 and rejected.json()["etat"] == "Historique"
    fdf = next(g for g in await s.grants("Actif") if g["role"] == "fdf")
    ended = await platform.client.post(f"/api/v1/grants/{fdf['id']}/end", headers=s.admin)
    assert ended.status_code == 200 and ended.json()["etat"] == "Historique"
    assert {g["role"] for g in await s.grants("Historique")} == {"fdf", "approbateur"}
    assert [g["role"] for g in await s.grants("Actif")] == ["fda"]


async def test_grants_end_by_themselves_on_suspension_leaving_the_group_and_activity_closing(platform, catalogue):
    s = _scene(platform, catalogue)
    assert (await s.grant(KARIM, "fda", [on(s.eaje)])).status_code == 201
    assert (await s.grant(SOPHIE, "fdf", [on(s.eaje)])).status_code == 201
    assert (await s.grant(LUCAS, "fda", [on(s.laep)])).status_code == 201

    suspended = await platform.client.post(
        f"/api/v1/users/{s.users[KARIM]}/suspend", headers=s.agent, json={"motif": "Départ de la structure"}
    )
    assert suspended.status_code == 200

    async def karim_ended() -> bool:
        return all(g["etat"] == "Historique" for g in await s.grants() if g["utilisateur_id"] == s.users[KARIM])

    await eventually(karim_ended, timeout=10)
    left = await platform.client.delete(f"/api/v1/users/{s.users[SOPHIE]}/groups/AFAS-DECLARER", headers=s.admin)
    assert left.status_code == 200

    async def sophie_ended() -> bool:
        return all(g["etat"] == "Historique" for g in await s.grants() if g["utilisateur_id"] == s.users[SOPHIE])

    await eventually(sophie_ended, timeout=10)
    today = platform.clock.now().date().isoformat()
    closed = await platform.client.post(
        f"/api/v1/activities/{s.laep['id']}/close", headers=s.agent, json={"date_fermeture": today}
    )
    assert closed.status_code == 200
    assert {(g["activite"], g["etat"]) for g in await s.grants()} == {
        ("Multi-accueil Les Lucioles", "Historique"),
        ("LAEP Petits Pas", "Historique"),
    }
    assert (await s.grant(KARIM, "fdf", [on(s.alsh)])).status_code == 409  # suspended: no new role


async def test_search_like_the_seed_screen_including_non_attribue(platform, catalogue):
    s = _scene(platform, catalogue)
    assert (await s.grant(KARIM, "fda", [on(s.alsh, 0)])).status_code == 201
    assert (await s.grant(SOPHIE, "fdf", [on(s.alsh)])).status_code == 201
    assert (await s.grant(ADMIN, "approbateur", [on(s.alsh)])).status_code == 201  # pending still counts

    async def search(**params) -> list[dict]:
        response = await platform.client.get("/api/v1/grants", headers=s.agent, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    holes = await search(activite=s.alsh["id"], etat="Non attribué")
    assert [(h["lieu"], h["role"]) for h in holes] == [("École Victor Hugo", "fda")]
    eaje_holes = await search(type="eaje_psu", etat="Non attribué")
    assert sorted(h["role"] for h in eaje_holes) == ["approbateur", "fda", "fdf"]
    assert [g["utilisateur"] for g in await search(role="fda", etat="Actif")] == ["Karim Bernard"]
    assert {g["activite"] for g in await search(lieux="oui")} == {"ALSH Les Coccinelles"}
    assert await search(lieux="non", etat="Actif") == []
    assert [g["role"] for g in await search(utilisateur=s.users[ADMIN], etat="Inactif")] == ["approbateur"]
    own = await platform.client.get("/api/v1/grants", headers=s.admin, params={"etat": "Non attribué"})
    assert own.status_code == 200 and len(own.json()) == len(holes) + len(eaje_holes) + 3  # LAEP: 3 roles
    declarant = await platform.client.get("/api/v1/grants", headers=await platform.login(KARIM))
    assert declarant.status_code == 403


async def test_all_activities_at_once_and_the_limits_of_who_may_grant(platform, catalogue):
    s = _scene(platform, catalogue)
    everything = await platform.client.post(
        "/api/v1/grants",
        headers=s.admin,
        json={"utilisateur_id": s.users[SOPHIE], "role": "fdf", "toutes_activites": True},
    )
    assert everything.status_code == 201, everything.text
    assert {g["activite"] for g in everything.json()} == {
        "ALSH Les Coccinelles",
        "Multi-accueil Les Lucioles",
        "LAEP Petits Pas",
    }
    nothing = await platform.client.post(
        "/api/v1/grants", headers=s.admin, json={"utilisateur_id": s.users[KARIM], "role": "fda"}
    )
    assert nothing.status_code == 422 and nothing.json()["detail"][0]["loc"] == ["body", "perimetre"]

    lutins = await platform.client.post(
        "/api/v1/partners",
        headers=s.agent,
        json={
            "raison_sociale": "Association Les Lutins",
            "siret": "77566343800007",
            "type": "association",
            "caf": "080",
        },
    )

    async def lutins_activity() -> dict | None:
        response = await platform.client.post(
            "/api/v1/activities",
            headers=s.agent,
            json={
                "partenaire_id": lutins.json()["id"],
                "type": "laep",
                "nature": "general",
                "nom": "LAEP des Lutins",
                "date_ouverture": "2024-01-01",
                "ideq": "LAEP0899",
            },
        )
        return response.json() if response.status_code == 201 else None

    other = await eventually(lutins_activity, timeout=10)
    foreign = await s.grant(KARIM, "fda", [on(other)], headers=s.agent)
    assert foreign.status_code == 422 and "n'appartient pas au partenaire" in foreign.json()["detail"][0]["msg"]

    withdrawn = await platform.client.put(
        f"/api/v1/partners/{s.partner}/delegation", headers=s.agent, json={"gestion_deleguee": False}
    )
    assert withdrawn.status_code == 200

    async def delegation_known() -> bool:  # habilitation learns it from identity's event
        import uuid

        from afas_habilitation.adapters.tables import KnownPartner

        async with platform.habilitation.db.sessions() as session:
            return not (await session.get(KnownPartner, uuid.UUID(s.partner))).delegated

    await eventually(delegation_known, timeout=10)
    assert (await s.grant(KARIM, "fda", [on(s.laep)])).status_code == 403
    assert (await s.grant(KARIM, "fda", [on(s.laep)], headers=s.agent)).status_code == 201
