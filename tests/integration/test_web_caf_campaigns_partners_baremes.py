"""The Caf's pages without a browser: a campaign opened through the page with its progress dashboard, chart and
CSV / XLSX exports; partners and their users; a partner user refused everywhere under /caf; the barèmes and the
payment policy changed through the page (approbateurs and instruction: ``test_web_caf_pages.py``)."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import timedelta

from afas_shared.testing.fixtures import eventually  # noqa: F401  (fixtures come from conftest)
from tests.integration.caf_pages_helpers import AGENT, _text, _transmitted, _xlsx
from tests.integration.test_declaration_journey import ADMIN, KARIM
from tests.integration.test_web_pages import _csrf, _sign_in, login_csrf


async def test_the_caf_agent_opens_a_campaign_and_follows_its_progress(platform, catalogue):
    declaration, _ = await _transmitted(platform, catalogue)  # EAJE campaign: its only declaration is transmitted
    client = platform.client
    await _sign_in(client, AGENT)
    page = await client.get("/caf/campagnes")
    assert page.status_code == 200, page.text
    assert "EAJE - PSU — Prévisionnelle 2026" in page.text and "Ouvrir une campagne" in page.text
    for name in ("type_activite", "exercice", "type_declaration", "date_ouverture", "date_limite"):
        assert f'<label for="champ-{name}">' in page.text
    csrf = _csrf(page.text)
    today = platform.clock.now().date()
    body = {
        "csrf": csrf,
        "type_activite": "alsh",
        "exercice": "2026",
        "type_declaration": "previsionnelle",
        "date_ouverture": today.isoformat(),
        "date_limite": (today + timedelta(days=45)).isoformat(),
    }
    incomplete = await client.post("/caf/campagnes", data={**body, "type_activite": "", "exercice": "26x"})
    assert incomplete.status_code == 422
    assert 'href="#champ-type_activite"' in incomplete.text and 'href="#champ-exercice"' in incomplete.text
    backwards = await client.post("/caf/campagnes", data={**body, "date_limite": today.isoformat()})
    assert backwards.status_code == 422 and 'href="#champ-date_limite"' in backwards.text
    opened = await client.post("/caf/campagnes", data=body)
    assert opened.status_code == 303, opened.text
    twice = await client.post("/caf/campagnes", data=body)
    assert twice.status_code == 409 and "existe déjà" in html.unescape(twice.text)

    alsh = await client.get(opened.headers["location"])
    assert alsh.status_code == 200, alsh.text
    assert "La campagne est enregistrée." in alsh.text
    assert '<svg class="barres-horizontales" role="img" aria-labelledby="graphique-titre graphique-description"' in (
        alsh.text
    )
    assert '<title id="graphique-titre">' in alsh.text
    assert '<th scope="row">À saisir</th><td class="nombre">1</td>' in alsh.text
    assert "Activités n'ayant pas encore déclaré (1)" in alsh.text and "ALSH Les Coccinelles" in alsh.text

    campaigns = (await client.get("/api/v1/campaigns", headers=catalogue.agent)).json()
    eaje_id = next(c["id"] for c in campaigns if c["type_activite"] == "eaje_psu")
    eaje = await client.get(f"/caf/campagnes/{eaje_id}")
    assert '<th scope="row">Transmise Caf</th><td class="nombre">1</td>' in eaje.text
    assert '<th scope="row">À saisir</th><td class="nombre">0</td>' in eaje.text
    assert "Activités n'ayant pas encore déclaré (0)" in eaje.text and "100 %" in eaje.text
    listing = _text((await client.get("/caf/campagnes")).text)
    assert "ALSH — Prévisionnelle 2026" in listing

    assert f'href="/caf/campagnes/{eaje_id}/export-activites.csv"' in eaje.text

    def csv_rows(content: bytes) -> list[list[str]]:
        assert content.startswith(b"\xef\xbb\xbf")
        return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))

    exported = {}
    for table in ("synthese", "etats", "activites"):  # one table per file
        answer = await client.get(f"/caf/campagnes/{eaje_id}/export-{table}.csv")
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
        assert "attachment" in answer.headers["content-disposition"] and f"-{table}.csv" in (
            answer.headers["content-disposition"]
        )
        exported[table] = csv_rows(answer.content)
    assert (await client.get(f"/caf/campagnes/{eaje_id}/export-tout.csv")).status_code == 404
    summary = exported["synthese"]
    assert len(summary) == 2 and summary[0][0] == "Campagne" and summary[1][4] == "2026" and summary[1][-1] == "100"
    assert summary[1][1] == "Caf de la Somme" and summary[1][2] == "080" and summary[1][3] == "EAJE - PSU"
    assert re.fullmatch(r"\d\d/\d\d/\d{4}", summary[1][6])
    assert exported["etats"][0] == ["État", "Nombre de déclarations"]
    assert ["Transmise Caf", "1"] in exported["etats"] and ["Total", "1"] in exported["etats"]
    assert exported["activites"] == [
        ["Activité", "Nature", "Partenaire", "État de la déclaration", "Déclarée"],
        ["Multi-accueil Les Lucioles", "Multi-accueil", "Commune d'Amiens", "Transmise Caf", "Oui"],
    ]

    workbook = await client.get(f"/caf/campagnes/{opened.headers['location'].split('/')[-1].split('?')[0]}/export.xlsx")
    assert workbook.status_code == 200
    assert workbook.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheets = _xlsx(workbook.content)
    assert list(sheets) == ["Synthèse", "Déclarations par état", "Activités"]
    assert ["À saisir", "1"] in sheets["Déclarations par état"] and ["Total", "1"] in sheets["Déclarations par état"]
    assert sheets["Synthèse"][1][3:6] == ["ALSH", "2026", "Prévisionnelle"]
    assert sheets["Activités"][0] == ["Activité", "Nature", "Partenaire", "État de la déclaration", "Déclarée"]
    assert sheets["Activités"][1] == [
        "ALSH Les Coccinelles",
        "ALSH périscolaire",
        "Commune d'Amiens",
        "À saisir",
        "Non",
    ]


async def test_the_caf_agent_manages_partners_and_their_users(platform, catalogue):
    client = platform.client
    await _sign_in(client, AGENT)
    page = await client.get("/caf/partenaires")
    assert page.status_code == 200, page.text
    assert "Commune d&#39;Amiens" in page.text and "Bulletin d&#39;adhésion AFAS" in page.text
    csrf = _csrf(page.text)
    lutins = {"raison_sociale": "Association Les Lutins", "siret": "77566343800007", "type": "association"}
    bad = await client.post("/caf/partenaires", data={"csrf": csrf, **lutins, "siret": "77566343800008", "caf": "080"})
    assert bad.status_code == 422 and 'href="#champ-siret"' in bad.text
    made = await client.post("/caf/partenaires", data={"csrf": csrf, **lutins, "caf": "080", "gestion_deleguee": "oui"})
    assert made.status_code == 303, made.text
    detail = await client.get(made.headers["location"])
    assert "<h1>Association Les Lutins</h1>" in detail.text and "Le partenaire est enregistré." in detail.text
    url = made.headers["location"].split("?")[0]
    signed = await client.post(
        f"{url}/conventions", data={"csrf": csrf, "type": "convention_acces", "date_ouverture": "2026-01-01"}
    )
    assert signed.status_code == 303, signed.text
    assert "Convention d&#39;accès" in (await client.get(url)).text

    amiens = f"/caf/partenaires/{catalogue.partner}"
    page = await client.get(amiens)
    assert "Retirer la gestion déléguée" in page.text
    withdrawn = await client.post(f"{amiens}/delegation", data={"csrf": csrf, "gestion_deleguee": "non"})
    assert withdrawn.status_code == 303
    partner = (await client.get(f"/api/v1/partners/{catalogue.partner}", headers=catalogue.agent)).json()
    assert partner["gestion_deleguee"] is False
    assert "Rétablir la gestion déléguée" in (await client.get(amiens)).text

    karim = catalogue.users[KARIM]
    no_reason = await client.post(f"{amiens}/utilisateurs/{karim}/suspendre", data={"csrf": csrf, "motif": ""})
    assert no_reason.status_code == 422 and f'href="#champ-motif-{karim}"' in no_reason.text
    asked = await client.post(f"{amiens}/utilisateurs/{karim}/suspendre", data={"csrf": csrf, "motif": "Départ"})
    assert asked.status_code == 200 and "Suspendre le compte ?" in asked.text  # confirmed below
    confirmed = {"csrf": csrf, "motif": "Départ", "confirmation": "oui"}
    suspended = await client.post(f"{amiens}/utilisateurs/{karim}/suspendre", data=confirmed)
    assert suspended.status_code == 303, suspended.text
    page = await client.get(amiens)
    assert f'action="{amiens}/utilisateurs/{karim}/reactiver"' in page.text
    assert (await client.post(f"{amiens}/utilisateurs/{karim}/reactiver", data={"csrf": csrf})).status_code == 303
    forced = await client.post(f"{amiens}/utilisateurs/{karim}/mot-de-passe", data={"csrf": csrf})
    assert forced.status_code == 303
    users = (await client.get(f"/api/v1/partners/{catalogue.partner}/users", headers=catalogue.agent)).json()
    assert next(u["statut"] for u in users if u["id"] == karim) == "actif"


async def test_partner_users_are_refused_on_the_caf_pages(platform, catalogue):
    client = platform.client
    await _sign_in(client, ADMIN)
    csrf = _csrf((await client.get("/accueil")).text)
    campaign = await client.post(
        "/api/v1/campaigns",
        headers=catalogue.agent,
        json={
            "type_activite": "laep",
            "exercice": 2026,
            "type_declaration": "reelle",
            "date_ouverture": "2027-01-15",
            "date_limite": "2027-03-31",
        },
    )
    assert campaign.status_code == 202, campaign.text
    campaign_id = campaign.json()["id"]
    for url in (
        "/caf/approbateurs",
        "/caf/instruction",
        f"/caf/instruction/{campaign_id}",
        "/caf/partenaires",
        f"/caf/partenaires/{catalogue.partner}",
        "/caf/campagnes",
        f"/caf/campagnes/{campaign_id}",
        f"/caf/campagnes/{campaign_id}/export-activites.csv",
        f"/caf/campagnes/{campaign_id}/export.xlsx",
    ):
        refused = await client.get(url)
        assert refused.status_code == 403 and "réservée aux agents de la Caf" in refused.text, url
    for url in ("/caf/campagnes", "/caf/partenaires", f"/caf/approbateurs/{campaign_id}/valider"):
        assert (await client.post(url, data={"csrf": csrf})).status_code == 403, url
    assert 'href="/caf/instruction"' not in (await client.get("/accueil")).text


async def test_a_parametrage_agent_changes_a_bareme_value_through_the_page(platform, catalogue, make_settings):
    """A Caf's paramétrage agent is offered no national value to change (and is refused one) but chooses its Caf's
    payment policy; the Cnaf's national paramétrage agent changes a national value with a structured provenance."""
    from afas_shared.testing.fixtures import running

    client = platform.client

    async def sign_in(identifier: str) -> None:
        client.cookies.clear()
        signed = await client.post(
            "/connexion",
            data={"identifiant": identifier, "mot_de_passe": "Demo-Afas-2026!", "csrf": await login_csrf(client)},
        )
        assert signed.status_code == 303

    value = {"parametre": "prix_plafond_horaire", "applicable_depuis": "2026-01-01", "valeur": "101,25"}
    provenance = {
        "provenance_titre": "Lettre circulaire relative aux lieux d'accueil enfants-parents",
        "provenance_emetteur": "Cnaf",
        "provenance_date": "2026-01-05",
        "provenance_reference": "Lettre circulaire n° 2026-001",
    }
    async with running(make_settings("estimation")) as estimation:
        estimation.clock = platform.clock
        await sign_in(AGENT)
        page = await client.get("/caf/baremes?famille=laep")
        shown = _text(page.text)
        assert page.status_code == 200 and "Taux de prise en charge" in shown
        assert "Politique de versement de la Caf de la Somme" in shown and "Choisir la politique" in shown
        assert "nouvelle valeur nationale" not in shown and 'name="provenance_titre"' not in page.text
        for code in ("prix_plafond_horaire", "taux_ps", "acomptes_35_35", "Caf 080", "eaje_psu", "laep"):
            assert code not in shown, code
        csrf = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page.text).group(1)
        refused = await client.post("/caf/baremes/laep", data={"csrf": csrf, **value, **provenance})
        assert refused.status_code == 403 and "fixés par la Cnaf" in _text(refused.text)
        chosen = await client.post(
            "/caf/politique-paiement",
            data={"csrf": csrf, "famille": "laep", "politique": "caf_92", "motif_politique": "Délibération du CA"},
        )
        assert chosen.status_code == 303, chosen.text
        page = await client.get(chosen.headers["location"])
        assert "Caf 92 : 1er acompte de 40 %" in _text(page.text) and "recalculés" in _text(page.text)

        await sign_in("100000009")
        page = await client.get("/caf/baremes?famille=laep")
        shown = _text(page.text)
        assert "Enregistrer une nouvelle valeur nationale" in shown and "Politique de versement" not in shown
        csrf = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page.text).group(1)
        assert (
            await client.post("/caf/politique-paiement", data={"csrf": csrf, "politique": "caf_92"})
        ).status_code == 403
        incomplete = await client.post(
            "/caf/baremes/laep", data={"csrf": csrf, **value, **provenance, "provenance_emetteur": ""}
        )
        assert incomplete.status_code == 422 and 'href="#champ-provenance_emetteur"' in incomplete.text
        assert "Lettre circulaire n° 2026-001" in incomplete.text  # what was typed is kept
        negative = await client.post("/caf/baremes/laep", data={"csrf": csrf, **value, **provenance, "valeur": "-1"})
        assert negative.status_code == 422 and 'href="#champ-valeur"' in negative.text
        changed = await client.post(
            "/caf/baremes/laep", data={"csrf": csrf, **value, **provenance, "motif": "Revalorisation"}
        )
        assert changed.status_code == 303, changed.text
        page = await client.get(changed.headers["location"])
        shown = _text(page.text)
        assert "Paramétrage national" in shown and "Revalorisation" in shown
        assert "accueil enfants-parents , Cnaf, 05/01/2026 — Lettre circulaire n° 2026-001" in shown
        assert "non sourcé non sourcé" not in shown

        # the Caf agent sees the new value with its provenance
        await sign_in(AGENT)
        shown = _text((await client.get("/caf/baremes?famille=laep")).text)
        assert "101,25" in shown and "Lettre circulaire n° 2026-001" in shown and "prix_plafond_horaire" not in shown
        history = shown[shown.index("Historique des modifications") :]
        assert "101,25 €/h" in history  # the history shows values in their unit, not as stored
