"""The whole story of seed 001, over real HTTP against the gateway, every service running:
campaign opened → two activity providers fill the two sites of a multi-site ALSH → the financial provider fills
the budget → the approbateur controls, justifies the flag, reads the estimate, signs, transmits and downloads the
PDF (its text checked) → the Caf refuses with a reason → revision and second transmission → validation → the
history shows both versions."""

from __future__ import annotations

import io

import httpx
import pypdf

from afas_shared.testing.fixtures import eventually

AGENT, ADMIN, KARIM, SOPHIE, LUCAS = "100000001", "200000001", "200000002", "200000003", "200000004"
PASSWORD = "Demo-Afas-2026!"
# Site A declares 1,200 Wednesday hours for a cap of 100 days × 9 h + 50 half-days × 4 h = 1,100 h: flagged
SITE_A = {
    "jours_ouverture": 140,
    "heures_realisees": "12500",
    "heures_aeeh": "300",
    "part_regime_general": "92",
    "mercredi_journees_repas": 100,
    "mercredi_demi_journees": 50,
    "mercredi_heures": "1200",
    "mercredi_heures_nouvelles": "200",
}
SITE_B = {
    "jours_ouverture": 140,
    "heures_realisees": "8000",
    "part_regime_general": "88",
    "mercredi_journees_repas": 60,
    "mercredi_demi_journees": 20,
    "mercredi_heures": "600",
}
# 78,000 € of charges for 20,500 h réalisées: 3.80 €/h, under twice the hourly ceiling
BUDGET = {
    "charges_60": "12000",
    "charges_61": "3000",
    "charges_62": "1500",
    "charges_63": "500",
    "charges_64": "60000",
    "charges_65": "1000",
    "produits_70": "20000",
    "produits_74_caf": "30000",
    "produits_74_commune": "27000",
    "produits_74_departement": "0",
    "produits_74_autres": "0",
    "produits_75": "1000",
}


async def _login(http: httpx.AsyncClient, identifier: str) -> dict[str, str]:
    response = await http.post("/api/v1/auth/login", json={"identifiant": identifier, "mot_de_passe": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['jeton']}"}


async def _save(http, headers, form: dict, values: dict) -> dict:
    response = await http.put(
        f"/api/v1/forms/{form['id']}", headers=headers, json={"version": form["version"], "valeurs": values}
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_the_story_of_seed_001_on_a_multi_site_alsh(gateway_url, catalogue):
    alsh = catalogue.activities["alsh"]
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as http:
        agent, admin = await _login(http, AGENT), await _login(http, ADMIN)
        opened = await http.post(
            "/api/v1/campaigns",
            headers=agent,
            json={
                "type_activite": "alsh",
                "exercice": 2026,
                "type_declaration": "previsionnelle",
                "date_ouverture": "2026-03-02",
                "date_limite": "2026-04-15",
            },
        )
        assert opened.status_code == 202, opened.text
        grants = {}
        for who, role, site in (
            (KARIM, "fda", 0),
            (LUCAS, "fda", 1),
            (SOPHIE, "fdf", None),
            (ADMIN, "approbateur", None),
        ):
            scope = {"activite_id": alsh["id"], "lieu_id": alsh["lieux"][site]["id"] if site is not None else None}
            body = {"utilisateur_id": catalogue.users[who], "role": role, "perimetre": [scope]}
            response = await http.post("/api/v1/grants", headers=admin, json=body)
            assert response.status_code == 201, response.text
            grants[who] = response.json()[0]["id"]
        assert (await http.post(f"/api/v1/grants/{grants[ADMIN]}/validate", headers=agent)).status_code == 200
        users = {who: await _login(http, who) for who in (KARIM, LUCAS, SOPHIE)}

        async def declaration_visible_to_all() -> str | None:
            rows = [
                (await http.get("/api/v1/declarations", headers=h)).json()["elements"] for h in (*users.values(), admin)
            ]
            return rows[0][0]["id"] if all(len(r) == 1 for r in rows) else None

        declaration = await eventually(declaration_visible_to_all, timeout=15)
        url = f"/api/v1/declarations/{declaration}"

        # Each provider sees and fills only its own form: Karim site A, Lucas site B, Sophie the budget
        views = {who: (await http.get(url, headers=users[who])).json()["formulaires"] for who in users}
        assert [(f["type"], f["lieu"]) for f in views[KARIM]] == [("activite", "École Jules Ferry")]
        assert [(f["type"], f["lieu"]) for f in views[LUCAS]] == [("activite", "École Victor Hugo")]
        assert [f["type"] for f in views[SOPHIE]] == ["financier"]
        await _save(http, users[KARIM], views[KARIM][0], SITE_A)
        await _save(http, users[LUCAS], views[LUCAS][0], SITE_B)
        saved = await _save(http, users[SOPHIE], views[SOPHIE][0], BUDGET)
        assert saved["estimation"]["disponible"] is True, saved["estimation"]

        # The approbateur: controls, the flag on site A, its justification with figures, the estimate
        controls = (await http.post(f"{url}/controls", headers=admin)).json()
        flagged = [c for c in controls["controles"] if c["a_justifier"]]
        assert [(c["id"], c["lieu"]) for c in flagged] == [("mercredi_heures_plafond", "École Jules Ferry")], controls
        assert "1 200" in flagged[0]["message"].replace("\u00a0", " ") and "1 100" in flagged[0]["message"].replace(
            "\u00a0", " "
        )
        refused = await http.post(f"{url}/transmit", headers=admin, json={"signature": True})
        assert refused.status_code == 409 and "Heures du mercredi" in refused.json()["detail"], refused.text
        justification = {
            "texte": "Sorties à la journée du mercredi avec retour tardif, autorisées par la PMI.",
            "montant": "100",
        }
        assert (
            await http.put(f"{url}/justifications/{flagged[0]['cle']}", headers=admin, json=justification)
        ).status_code == 200
        estimate = (await http.get(f"{url}/estimate", headers=admin)).json()
        assert estimate["disponible"] is True and estimate["etapes"], estimate
        transmit_key = {**admin, "Idempotency-Key": "seed-001-v1"}
        first = await http.post(f"{url}/transmit", headers=transmit_key, json={"signature": True})
        assert first.status_code == 201, first.text
        again = await http.post(f"{url}/transmit", headers=transmit_key, json={"signature": True})
        assert again.json() == first.json()
        pdf = await http.get(first.json()["accuse_reception"], headers=admin)
        text = " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
        flat = " ".join(text.replace("\u00a0", " ").split())
        for expected in (
            "Accusé de réception",
            "Commune d'Amiens",
            "ALSH Les Coccinelles",
            "École Jules Ferry",
            "École Victor Hugo",
            "12 500",
            "Sorties à la journée du mercredi",
            "Claire Martin",
        ):
            assert expected in flat, expected
        assert first.json()["hash"] in flat.replace(" ", "")

        # The Caf refuses with a reason; the partner revises; second transmission; validation
        refusal = await http.post(
            f"{url}/refuse", headers=agent, json={"motif": "Heures du mercredi non conformes au projet éducatif."}
        )
        assert refusal.status_code == 200 and refusal.json()["version"] == 2
        [row] = (await http.get("/api/v1/declarations", headers=users[KARIM])).json()["elements"]
        assert row["etat"] == "Refusée Caf" and row["motif_refus"].startswith("Heures du mercredi")
        form = (await http.get(url, headers=users[KARIM])).json()["formulaires"][0]
        await _save(http, users[KARIM], form, {**SITE_A, "mercredi_heures": "1100"})
        controls = (await http.post(f"{url}/controls", headers=admin)).json()
        assert controls["transmissible"] is True, controls["obstacles"]
        second = await http.post(f"{url}/transmit", headers=admin, json={"signature": True})
        assert second.status_code == 201 and second.json()["version"] == 2
        assert (await http.post(f"{url}/validate", headers=agent)).status_code == 200
        versions = (await http.get(f"{url}/versions", headers=admin)).json()
        assert [(v["version"], v["decision_caf"]["decision"]) for v in versions] == [(1, "refusee"), (2, "validee")]
        history = (await http.get(f"/api/v1/activities/{alsh['id']}/declarations", headers=admin)).json()
        assert [v["version"] for v in history[0]["versions"]] == [1, 2]
        assert (await http.get(versions[0]["accuse_reception"], headers=admin)).status_code == 200

        # The Caf's validation reaches estimation: the entitlement is computed by the same engine
        async def entitlement():
            response = await http.get(f"{url}/entitlement", headers=admin)
            return response.json() if response.status_code == 200 else None

        assert (await eventually(entitlement, timeout=15))["montant"]
