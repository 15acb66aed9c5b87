"""Partners, conventions, users and groups through the gateway: who may do what, bad input, audit."""

from __future__ import annotations

from datetime import timedelta

DEMO_PASSWORD = "Demo-Afas-2026!"
AGENT, ADMIN, KARIM, SOPHIE = "100000001", "200000001", "200000002", "200000003"
LUTINS = {"raison_sociale": "Association Les Lutins", "siret": "77566343800007", "type": "association", "caf": "080"}


def _person(first: str, last: str, domain: str = "lutins.example", **extra) -> dict:
    email = f"{first.lower()}.{last.lower()}@{domain}"
    return {"nom": last, "prenom": first, "email": email, "email_confirmation": email, **extra}


async def _lutins(platform, agent) -> str:
    response = await platform.client.post("/api/v1/partners", headers=agent, json=LUTINS)
    assert response.status_code == 201, response.text
    return response.json()["id"]


async def test_caf_agent_registers_a_partner_and_bad_input_is_named_in_french(platform):
    agent = await platform.login(AGENT)
    partner = await _lutins(platform, agent)
    assert {p["raison_sociale"] for p in (await platform.client.get("/api/v1/partners", headers=agent)).json()} == {
        "Commune d'Amiens",
        "Association Les Lutins",
    }

    bad_siret = await platform.client.post(
        "/api/v1/partners", headers=agent, json={**LUTINS, "siret": "77566343800008"}
    )
    assert bad_siret.status_code == 422
    assert bad_siret.json()["detail"][0]["loc"] == ["body", "siret"]
    assert "n'est pas valide" in bad_siret.json()["detail"][0]["msg"]
    unknown_caf = await platform.client.post(
        "/api/v1/partners", headers=agent, json={**LUTINS, "caf": "999", "siret": "77566343800015"}
    )
    assert unknown_caf.status_code == 422 and unknown_caf.json()["detail"][0]["loc"] == ["body", "caf"]
    assert "Caf inconnue" in unknown_caf.json()["detail"][0]["msg"]
    twice = await platform.client.post("/api/v1/partners", headers=agent, json=LUTINS)
    assert twice.status_code == 409
    kind = await platform.client.post("/api/v1/partners", headers=agent, json={**LUTINS, "type": "syndicat"})
    assert kind.status_code == 422 and kind.json()["detail"][0]["msg"] == "Valeur non autorisée."
    # another Caf's partner: refused
    other = await platform.client.post(
        "/api/v1/partners", headers=agent, json={**LUTINS, "caf": "075", "siret": "77566343800015"}
    )
    assert other.status_code == 403
    assert (await platform.client.get(f"/api/v1/partners/{partner}", headers=agent)).status_code == 200


async def test_user_creation_checks_and_nothing_half_created(platform):
    admin = await platform.login(ADMIN)
    amiens = await platform.amiens(admin)
    before = len((await platform.client.get(f"/api/v1/partners/{amiens}/users", headers=admin)).json())
    url = f"/api/v1/partners/{amiens}/users"
    cases = {
        "email_confirmation": {**_person("Jean", "Blanc", "amiens.example"), "email_confirmation": "autre@x.fr"},
        "telephone_confirmation": _person(
            "Jean", "Blanc", "amiens.example", telephone="0322000000", telephone_confirmation="0322000009"
        ),
        "telephone": _person("Jean", "Blanc", "amiens.example", telephone="12", telephone_confirmation="12"),
        "date_fermeture": _person(
            "Jean", "Blanc", "amiens.example", date_ouverture="2026-03-10", date_fermeture="2026-03-01"
        ),
        "email": {
            **_person("Jean", "Blanc", "amiens.example"),
            "email": "contact@amiens.example",
            "email_confirmation": "contact@amiens.example",
        },
    }
    for field, payload in cases.items():
        response = await platform.client.post(url, headers=admin, json=payload)
        assert response.status_code == 422, (field, response.text)
        error = response.json()["detail"][0]
        assert error["loc"] == ["body", field], (field, error)
        assert error["msg"] and error["msg"][0].isupper()
    bad_date = await platform.client.post(
        url, headers=admin, json=_person("Jean", "Blanc", "amiens.example", date_ouverture="10/03/2026")
    )
    assert bad_date.status_code == 422 and "AAAA-MM-JJ" in bad_date.json()["detail"][0]["msg"]
    duplicate = await platform.client.post(
        url,
        headers=admin,
        json={**_person("Karim", "Bernard", "amiens.example"), "email": "KARIM.BERNARD@amiens.example"},
    )
    assert duplicate.status_code == 409 and "déjà utilisée" in duplicate.json()["detail"]
    after = len((await platform.client.get(url, headers=admin)).json())
    assert after == before


async def test_partner_administrator_manages_only_its_own_partner(platform):
    agent = await platform.login(AGENT)
    lutins = await _lutins(platform, agent)
    admin = await platform.login(ADMIN)
    refused = await platform.client.post(
        f"/api/v1/partners/{lutins}/users", headers=admin, json=_person("Léo", "Garcia")
    )
    assert refused.status_code == 403
    assert (await platform.client.get(f"/api/v1/partners/{lutins}", headers=admin)).status_code == 403
    assert (await platform.client.get(f"/api/v1/partners/{lutins}/users", headers=admin)).status_code == 403
    # the attempt is in the audit trail the Caf agent reads
    trail = (await platform.client.get(f"/api/v1/partners/{lutins}/audit", headers=agent)).json()
    refusals = [e for e in trail if e["resultat"] == "refused"]
    assert {e["action"] for e in refusals} >= {"user.create", "partner.read", "user.list"}
    assert all(e["adresse"] for e in refusals)
    assert (await platform.client.get(f"/api/v1/partners/{lutins}/audit", headers=admin)).status_code == 403


async def test_declarant_without_administration_group_is_refused(platform):
    karim = await platform.login(KARIM)
    amiens = await platform.amiens(karim)
    response = await platform.client.post(
        f"/api/v1/partners/{amiens}/users", headers=karim, json=_person("Léo", "Garcia", "amiens.example")
    )
    assert response.status_code == 403


async def test_withdrawn_delegation_takes_user_management_back_to_the_caf(platform):
    agent = await platform.login(AGENT)
    admin = await platform.login(ADMIN)
    amiens = await platform.amiens(admin)
    withdrawn = await platform.client.put(
        f"/api/v1/partners/{amiens}/delegation", headers=agent, json={"gestion_deleguee": False}
    )
    assert withdrawn.status_code == 200 and withdrawn.json()["gestion_deleguee"] is False
    url = f"/api/v1/partners/{amiens}/users"
    assert (
        await platform.client.post(url, headers=admin, json=_person("Léo", "Garcia", "amiens.example"))
    ).status_code == 403
    assert (
        await platform.client.post(url, headers=agent, json=_person("Léo", "Garcia", "amiens.example"))
    ).status_code == 201
    assert (
        await platform.client.put(
            f"/api/v1/partners/{amiens}/delegation", headers=admin, json={"gestion_deleguee": True}
        )
    ).status_code == 403
    await platform.client.put(f"/api/v1/partners/{amiens}/delegation", headers=agent, json={"gestion_deleguee": True})
    assert (
        await platform.client.post(url, headers=admin, json=_person("Zoé", "Henry", "amiens.example"))
    ).status_code == 201


async def test_caf_agent_of_another_caf_is_refused(platform):
    paris = await platform.client.post(
        "/api/v1/cafs/075/agents",
        headers={"Authorization": "Bearer local-only-change-me"},
        json=_person("Marc", "Noël", "caf-paris.example", roles_caf=["habilitations"]),
    )
    assert paris.status_code == 201
    token = await platform.mailed_link("activation_requested", paris.json()["id"])
    await platform.client.post(
        "/api/v1/auth/activation",
        json={"jeton": token, "mot_de_passe": "Agent-Paris-2026!", "confirmation": "Agent-Paris-2026!"},
    )
    other = await platform.login(paris.json()["identifiant"], "Agent-Paris-2026!")
    amiens = await platform.amiens(await platform.login(ADMIN))
    assert (await platform.client.get("/api/v1/partners", headers=other)).json() == []
    assert (
        await platform.client.post(
            f"/api/v1/partners/{amiens}/users", headers=other, json=_person("Léo", "Garcia", "amiens.example")
        )
    ).status_code == 403
    assert (await platform.client.get(f"/api/v1/partners/{amiens}/audit", headers=other)).status_code == 403


async def test_suspension_revokes_sessions_and_blocks_login_until_reactivated(platform):
    agent = await platform.login(AGENT)
    admin = await platform.login(ADMIN)
    sophie = await platform.login(SOPHIE)
    sophie_id = (await platform.client.get("/api/v1/auth/session", headers=sophie)).json()["id"]
    by_admin = await platform.client.post(f"/api/v1/users/{sophie_id}/suspend", headers=admin, json={"motif": "Départ"})
    assert by_admin.status_code == 403  # suspension is the Caf's power
    suspended = await platform.client.post(
        f"/api/v1/users/{sophie_id}/suspend", headers=agent, json={"motif": "Usage partagé du compte signalé"}
    )
    assert suspended.status_code == 200 and suspended.json()["statut"] == "suspendu"
    await _eventually_refused(platform, sophie)
    login = await platform.client.post(
        "/api/v1/auth/login", json={"identifiant": SOPHIE, "mot_de_passe": DEMO_PASSWORD}
    )
    assert login.status_code == 401 and "suspendu" in login.json()["detail"]
    assert (await platform.client.post(f"/api/v1/users/{sophie_id}/reactivate", headers=agent)).status_code == 200
    await platform.login(SOPHIE)


async def _eventually_refused(platform, headers) -> None:
    import asyncio

    for _ in range(100):
        if (await platform.client.get("/api/v1/auth/session", headers=headers)).status_code == 401:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("session still accepted")


async def test_forced_password_change_allows_nothing_else_until_done(platform):
    agent = await platform.login(AGENT)
    karim = await platform.login(KARIM)
    karim_id = (await platform.client.get("/api/v1/auth/session", headers=karim)).json()["id"]
    assert (
        await platform.client.post(f"/api/v1/users/{karim_id}/force-password-change", headers=agent)
    ).status_code == 200
    await _eventually_refused(platform, karim)
    forced = await platform.login(KARIM)
    blocked = await platform.client.get("/api/v1/partners", headers=forced)
    assert blocked.status_code == 403 and "changer votre mot de passe" in blocked.json()["detail"]
    changed = await platform.client.post(
        "/api/v1/auth/password",
        headers=forced,
        json={
            "mot_de_passe_actuel": DEMO_PASSWORD,
            "mot_de_passe": "Nouveau-Depart-2026!",
            "confirmation": "Nouveau-Depart-2026!",
        },
    )
    assert changed.status_code == 200 and changed.json()["changement_mot_de_passe_requis"] is False
    fresh = {"Authorization": f"Bearer {changed.json()['jeton']}"}
    assert (await platform.client.get("/api/v1/partners", headers=fresh)).status_code == 200


async def test_groups_need_valid_conventions_and_at_most_two_administrators(platform):
    agent = await platform.login(AGENT)
    lutins = await _lutins(platform, agent)
    user = (
        await platform.client.post(f"/api/v1/partners/{lutins}/users", headers=agent, json=_person("Léo", "Garcia"))
    ).json()
    add = f"/api/v1/users/{user['id']}/groups"
    no_convention = await platform.client.post(add, headers=agent, json={"groupe": "AFAS-DECLARER"})
    assert no_convention.status_code == 409 and "convention d'accès" in no_convention.json()["detail"]
    for kind in ("convention_acces", "bulletin_adhesion"):
        signed = await platform.client.post(
            f"/api/v1/partners/{lutins}/conventions", headers=agent, json={"type": kind, "date_ouverture": "2026-01-01"}
        )
        assert signed.status_code == 201 and signed.json()["etat"] == "Valable"
    assert (await platform.client.post(add, headers=agent, json={"groupe": "AFAS-DECLARER"})).status_code == 201
    assert (await platform.client.post(add, headers=agent, json={"groupe": "AFAS-DECLARER"})).status_code == 409
    removed = await platform.client.delete(f"{add}/AFAS-DECLARER", headers=agent)
    assert removed.status_code == 200

    admin = await platform.login(ADMIN)
    amiens = await platform.amiens(admin)
    members = {
        u["identifiant"]: u["id"]
        for u in (await platform.client.get(f"/api/v1/partners/{amiens}/users", headers=admin)).json()
    }
    second = await platform.client.post(
        f"/api/v1/users/{members[KARIM]}/groups", headers=admin, json={"groupe": "AFAS-HABILITER"}
    )
    assert second.status_code == 201
    third = await platform.client.post(
        f"/api/v1/users/{members[SOPHIE]}/groups", headers=admin, json={"groupe": "AFAS-HABILITER"}
    )
    assert third.status_code == 409 and "deux administrateurs" in third.json()["detail"]
    bad_dates = await platform.client.post(
        f"/api/v1/users/{members[SOPHIE]}/groups",
        headers=admin,
        json={"groupe": "AFAS-DECLARER", "date_debut": "2026-06-01", "date_fin": "2026-05-01"},
    )
    assert bad_dates.status_code == 422 and bad_dates.json()["detail"][0]["loc"] == ["body", "date_fin"]


async def test_conventions_are_searched_like_the_seed_screen_and_close(platform):
    agent = await platform.login(AGENT)
    found = (
        await platform.client.get(
            "/api/v1/conventions", headers=agent, params={"type": "bulletin_adhesion", "etat": "Valable"}
        )
    ).json()
    assert [(c["partenaire"], c["type_libelle"]) for c in found] == [("Commune d'Amiens", "Bulletin d'adhésion AFAS")]
    closed = await platform.client.post(f"/api/v1/conventions/{found[0]['id']}/close", headers=agent, json={})
    assert closed.status_code == 200
    assert (closed.json()["statut"], closed.json()["etat"]) == ("Fermé", "Non valable")
    platform.clock.advance(timedelta(days=1))
    agent = await platform.login(AGENT)  # the previous session ended overnight
    now_closed = (await platform.client.get("/api/v1/conventions", headers=agent, params={"statut": "Fermé"})).json()
    assert [c["etat"] for c in now_closed] == ["Non valable"]
    bad = await platform.client.get("/api/v1/conventions", headers=agent, params={"etat": "Perdu"})
    assert bad.status_code == 422
    karim = await platform.login(KARIM)
    assert {c["partenaire"] for c in (await platform.client.get("/api/v1/conventions", headers=karim)).json()} == {
        "Commune d'Amiens"
    }


async def test_closing_a_user_ends_its_sessions_and_groups(platform):
    admin = await platform.login(ADMIN)
    sophie = await platform.login(SOPHIE)
    sophie_id = (await platform.client.get("/api/v1/auth/session", headers=sophie)).json()["id"]
    closed = await platform.client.post(f"/api/v1/users/{sophie_id}/close", headers=admin, json={})
    assert closed.status_code == 200 and closed.json()["statut"] == "clos"
    await _eventually_refused(platform, sophie)
    amiens = await platform.amiens(admin)
    [row] = [
        u
        for u in (await platform.client.get(f"/api/v1/partners/{amiens}/users", headers=admin)).json()
        if u["id"] == sophie_id
    ]
    assert all(g["date_fin"] for g in row["groupes"])


async def test_updates_of_a_user_and_of_a_partner(platform):
    agent = await platform.login(AGENT)
    admin = await platform.login(ADMIN)
    amiens = await platform.amiens(admin)
    users = {
        u["identifiant"]: u
        for u in (await platform.client.get(f"/api/v1/partners/{amiens}/users", headers=admin)).json()
    }
    karim = users[KARIM]
    updated = await platform.client.put(
        f"/api/v1/users/{karim['id']}",
        headers=admin,
        json=_person(
            "Karim",
            "Bernard-Nouri",
            "amiens.example",
            mobilite="itinerant",
            telephone="+33322000002",
            telephone_confirmation="03 22 00 00 02",
        ),
    )
    assert updated.status_code == 200, updated.text
    assert (updated.json()["nom"], updated.json()["mobilite"], updated.json()["telephone"]) == (
        "Bernard-Nouri",
        "itinerant",
        "0322000002",
    )
    taken = await platform.client.put(
        f"/api/v1/users/{karim['id']}",
        headers=admin,
        json={
            **_person("Karim", "Bernard", "amiens.example"),
            "email": users[SOPHIE]["email"],
            "email_confirmation": users[SOPHIE]["email"],
        },
    )
    assert taken.status_code == 409
    renamed = await platform.client.put(
        f"/api/v1/partners/{amiens}",
        headers=agent,
        json={"raison_sociale": "Ville d'Amiens", "siret": "21800021900004", "type": "commune", "caf": "080"},
    )
    assert renamed.status_code == 200 and renamed.json()["raison_sociale"] == "Ville d'Amiens"
    assert (
        await platform.client.put(
            f"/api/v1/partners/{amiens}",
            headers=admin,
            json={"raison_sociale": "Amiens", "siret": "21800021900004", "type": "commune", "caf": "080"},
        )
    ).status_code == 403
    trail = (await platform.client.get(f"/api/v1/partners/{amiens}/audit", headers=agent)).json()
    updates = [e["resultat"] for e in trail if e["action"] == "partner.update"]
    assert updates == ["ok", "refused"]
