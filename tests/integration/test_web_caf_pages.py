"""The Caf's pages without a browser: approbateurs validated or refused, a transmitted declaration refused then
validated, partners and their users, a campaign opened through the page with its progress dashboard, chart and
CSV / XLSX exports; a partner user is refused everywhere under /caf."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import zipfile
from datetime import timedelta
from xml.etree import ElementTree

import sqlalchemy as sa

from afas_shared.messaging.tables import OutboxRecord
from afas_shared.testing.fixtures import eventually  # noqa: F401  (fixtures come from conftest)
from tests.integration.test_declaration_journey import ACTIVITY, ADMIN, KARIM, _eaje_declaration, _estimation, _fill
from tests.integration.test_web_pages import _csrf, _sign_in, login_csrf

AGENT = "100000001"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


async def _transmitted(platform, catalogue, activity=ACTIVITY) -> tuple[str, dict]:
    """The EAJE declaration filled, controlled, justified and transmitted through the API (version 1)."""
    declaration, headers = await _eaje_declaration(platform, catalogue)
    await _transmit(platform, declaration, headers, activity)
    return declaration, headers


async def _transmit(platform, declaration, headers, activity=ACTIVITY) -> None:
    await _fill(platform, declaration, headers, activity=activity)
    url = f"/api/v1/declarations/{declaration}"
    controls = await platform.client.post(f"{url}/controls", headers=headers[ADMIN])
    assert controls.status_code == 200, controls.text
    for c in controls.json()["controles"]:
        if c["a_justifier"] and not c["justification"]:
            justified = await platform.client.put(
                f"{url}/justifications/{c['cle']}",
                headers=headers[ADMIN],
                json={
                    "texte": "Facturation au contrat mensualisé des familles, absences non déduites.",
                    "montant": "6000",
                },
            )
            assert justified.status_code == 200, justified.text
    sent = await platform.client.post(f"{url}/transmit", headers=headers[ADMIN], json={"signature": True})
    assert sent.status_code == 201, sent.text


async def test_the_caf_agent_validates_and_refuses_approbateurs_through_the_page(platform, catalogue):
    client = platform.client
    pending = {}
    for key in ("laep", "alsh"):
        response = await client.post(
            "/api/v1/grants",
            headers=catalogue.admin,
            json={
                "utilisateur_id": catalogue.users[ADMIN],
                "role": "approbateur",
                "perimetre": [{"activite_id": catalogue.activities[key]["id"]}],
            },
        )
        assert response.status_code == 201, response.text
        pending[key] = response.json()[0]["id"]
    await _sign_in(client, AGENT)
    page = await client.get("/caf/approbateurs")
    assert page.status_code == 200, page.text
    assert "<h1>Approbateurs en attente de validation</h1>" in page.text
    assert "LAEP Petits Pas" in page.text and "ALSH Les Coccinelles" in page.text
    assert f'for="champ-motif-{pending["alsh"]}"' in page.text
    csrf = _csrf(page.text)
    assert (await client.post(f"/caf/approbateurs/{pending['laep']}/valider", data={"csrf": "x"})).status_code == 403
    validated = await client.post(f"/caf/approbateurs/{pending['laep']}/valider", data={"csrf": csrf})
    assert validated.status_code == 303, validated.text
    no_reason = await client.post(f"/caf/approbateurs/{pending['alsh']}/refuser", data={"csrf": csrf, "motif": ""})
    assert no_reason.status_code == 422 and f'href="#champ-motif-{pending["alsh"]}"' in no_reason.text
    rejected = await client.post(
        f"/caf/approbateurs/{pending['alsh']}/refuser",
        data={"csrf": csrf, "motif": "Approbateur déjà désigné par délibération"},
    )
    assert rejected.status_code == 303
    after = await client.get(rejected.headers["location"])
    assert "Aucun approbateur n'attend de validation." in after.text and "refusé" in after.text
    grants = {
        g["activite"]: g["etat"]
        for g in (await client.get(f"/api/v1/partners/{catalogue.partner}/grants", headers=catalogue.agent)).json()
    }
    assert grants == {"LAEP Petits Pas": "Actif", "ALSH Les Coccinelles": "Historique"}


async def test_the_caf_agent_refuses_then_validates_a_transmitted_declaration(platform, catalogue):
    declaration, headers = await _transmitted(platform, catalogue)
    client = platform.client
    await _sign_in(client, AGENT)
    queue = await client.get("/caf/instruction")
    assert queue.status_code == 200, queue.text
    assert f'href="/caf/instruction/{declaration}"' in queue.text and "Commune d&#39;Amiens" in queue.text
    assert "1 déclaration à instruire" in queue.text
    assert "Aucune déclaration" in (await client.get("/caf/instruction", params={"exercice": "2025"})).text
    assert "Aucune déclaration" in (await client.get("/caf/instruction", params={"type_activite": "alsh"})).text
    assert declaration in (await client.get("/caf/instruction", params={"type_declaration": "previsionnelle"})).text

    page = await client.get(f"/caf/instruction/{declaration}")
    assert page.status_code == 200, page.text
    text = _text(page.text)
    assert "Version 1 transmise le" in text and "Transmise Caf" in text
    assert "Heures facturées" in text or "heures facturées" in text.lower()
    assert "66\u00a0000" in page.text  # the frozen value, French formatting
    assert "Facturation au contrat mensualisé des familles" in text  # the approbateur's justification
    assert f'href="/declarations/{declaration}/versions/1/accuse.pdf"' in page.text
    # the agent accepts a gap justification explicitly: the box starts unchecked
    assert 'id="champ-justification_ecart_acceptee" name="justification_ecart_acceptee" value="oui" aria-' in (
        page.text
    )
    assert "J'accepte la justification d'un écart de plus de 10 %" in html.unescape(page.text)
    pdf = await client.get(f"/declarations/{declaration}/versions/1/accuse.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    csrf = _csrf(page.text)

    short = await client.post(f"/caf/instruction/{declaration}/refuser", data={"csrf": csrf, "motif_refuser": "non"})
    assert short.status_code == 422 and 'href="#champ-motif_refuser"' in short.text
    assert 'name="motif_refuser" rows="3" aria-describedby="aide-refus">non</textarea>' in short.text
    refused = await client.post(
        f"/caf/instruction/{declaration}/refuser",
        data={"csrf": csrf, "motif_refuser": "Les heures facturées dépassent le contrat."},
    )
    assert refused.status_code == 303, refused.text
    after = await client.get(refused.headers["location"])
    assert "La déclaration est refusée" in after.text and "Refusée Caf" in after.text
    assert 'action="/caf/instruction/' + declaration + '/valider"' not in after.text  # nothing to decide now
    [row] = (await client.get("/api/v1/declarations", headers=headers[ADMIN])).json()
    assert row["etat"] == "Refusée Caf" and row["motif_refus"] == "Les heures facturées dépassent le contrat."

    # The partner revises and transmits version 2; the agent validates it, accepting a gap justification
    await _transmit(platform, declaration, headers, {**ACTIVITY, "heures_facturees": "63000"})
    page = await client.get(f"/caf/instruction/{declaration}")
    assert "Version 2 transmise le" in _text(page.text) and "63\u00a0000" in page.text
    validated = await client.post(
        f"/caf/instruction/{declaration}/valider",
        data={"csrf": csrf, "formulaire": "valider", "justification_ecart_acceptee": "oui"},
    )
    assert validated.status_code == 303, validated.text
    async with platform.gateway.db.sessions() as session:
        payloads = (
            await session.execute(
                sa.select(OutboxRecord.payload).where(OutboxRecord.subject.contains("declaration_validated"))
            )
        ).scalars()
        [event] = [json.loads(p)["data"] for p in payloads if json.loads(p)["data"]["declaration_id"] == declaration]
    assert event["forecast_gap_justified"] is True  # the agent's explicit acceptance travels to estimation
    done = await client.get(validated.headers["location"])
    assert "La déclaration est validée." in done.text and "Validée Caf" in done.text
    versions = (await client.get(f"/api/v1/declarations/{declaration}/versions", headers=headers[ADMIN])).json()
    assert [(v["version"], v["decision_caf"]["decision"]) for v in versions] == [(1, "refusee"), (2, "validee")]
    assert "Aucune déclaration à instruire." in (await client.get("/caf/instruction")).text
    late = await client.post(
        f"/caf/instruction/{declaration}/annuler", data={"csrf": csrf, "motif_annuler": "Annulation bien trop tardive"}
    )
    assert late.status_code == 409


async def test_a_partial_estimate_is_labelled_partial_on_every_page_with_its_warnings_in_french(
    platform, catalogue, make_settings
):
    """Without the children figures the inclusion bonus is left out: the partner's form and transmission pages and
    the Caf's queue and instruction page call the amount « Montant estimé partiel », never the prestation, and show
    the estimate's warnings in plain French, never a parameter code; the API keeps the codes beside French labels."""
    from afas_estimation.domain.parameters.loader import load_family

    codes = set(load_family("eaje_psu").parameters)
    client = platform.client
    activity = {k: v for k, v in ACTIVITY.items() if k not in ("enfants_accueillis", "enfants_aeeh")}
    declaration, headers = await _eaje_declaration(platform, catalogue)
    async with _estimation(make_settings, platform):
        await _fill(platform, declaration, headers, activity=activity)
        url = f"/api/v1/declarations/{declaration}/estimate"
        estimate = (await client.get(url, headers=headers[ADMIN])).json()
        assert estimate["partielle"] is True and estimate["parties_non_calculees"] == ["Bonus inclusion handicap"]
        unsourced = estimate["parametres_non_sources_libelles"]
        assert estimate["parametres_non_sources"] and len(unsourced) == len(estimate["parametres_non_sources"])
        assert set(estimate["parametres_non_sources"]) <= codes and not codes & set(unsourced)

        await _sign_in(client, ADMIN)
        detail = await client.get(f"/declarations/{declaration}")
        pages = [f"/formulaires/{f}" for f in re.findall(r'href="/formulaires/([0-9a-f-]+)"', detail.text)]
        assert len(pages) == 2
        for page_url in [*pages, f"/declarations/{declaration}/transmission"]:
            page = await client.get(page_url)
            assert page.status_code == 200, page.text
            card = _text(re.search(r'<section class="carte estimation".*?</section>', page.text, re.S).group(0))
            assert "Montant estimé partiel" in card and "Prestation de service estimée" not in card, page_url
            assert "Estimation partielle : le montant ne comprend pas « Bonus inclusion handicap »" in card
            assert "source publique n'a pas été trouvée" in card and unsourced[0] in card
            assert [code for code in codes if code in card] == [], page_url
        client.cookies.clear()
        await _transmit(platform, declaration, headers, activity)

    await _sign_in(client, AGENT)
    queue = _text((await client.get("/caf/instruction")).text)
    assert "(partiel)" in queue
    page = _text((await client.get(f"/caf/instruction/{declaration}")).text)
    assert "Montant estimé partiel" in page
    assert "ne couvre qu'une partie de la prestation ; non calculé faute de données : Bonus inclusion handicap." in page
    assert "source publique n'a pas été trouvée" in page


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

    exported = await client.get(f"/caf/campagnes/{eaje_id}/export.csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    assert exported.content.startswith(b"\xef\xbb\xbf")
    assert "attachment" in exported.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Campagne" and rows[1][3] == "2026" and rows[1][-1] == "100"
    assert ["Transmise Caf", "1"] in rows and ["À saisir", "0"] in rows and ["Total", "1"] in rows
    assert ["Multi-accueil Les Lucioles", "multi_accueil", "Commune d'Amiens", "Transmise Caf", "Oui"] in rows

    workbook = await client.get(f"/caf/campagnes/{opened.headers['location'].split('/')[-1].split('?')[0]}/export.xlsx")
    assert workbook.status_code == 200
    assert workbook.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheets = _xlsx(workbook.content)
    assert list(sheets) == ["Synthèse", "Activités"]
    assert ["À saisir", "1"] in sheets["Synthèse"] and ["Total", "1"] in sheets["Synthèse"]
    assert sheets["Activités"][0] == ["Activité", "Nature", "Partenaire", "État de la déclaration", "Déclarée"]
    assert sheets["Activités"][1] == ["ALSH Les Coccinelles", "periscolaire", "Commune d'Amiens", "À saisir", "Non"]


def _xlsx(content: bytes) -> dict[str, list[list[str]]]:
    """Each sheet's rows as text, read with zipfile and the sheet XML only."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.testzip() is None
        assert "[Content_Types].xml" in archive.namelist()
        names = [s.get("name") for s in ElementTree.fromstring(archive.read("xl/workbook.xml")).iter(f"{MAIN}sheet")]
        sheets = {}
        for i, name in enumerate(names, start=1):
            root = ElementTree.fromstring(archive.read(f"xl/worksheets/sheet{i}.xml"))
            sheets[name] = [["".join(c.itertext()) for c in row.iter(f"{MAIN}c")] for row in root.iter(f"{MAIN}row")]
    return sheets


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
    suspended = await client.post(f"{amiens}/utilisateurs/{karim}/suspendre", data={"csrf": csrf, "motif": "Départ"})
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
    assert campaign.status_code == 201, campaign.text
    campaign_id = campaign.json()["id"]
    for url in (
        "/caf/approbateurs",
        "/caf/instruction",
        f"/caf/instruction/{campaign_id}",
        "/caf/partenaires",
        f"/caf/partenaires/{catalogue.partner}",
        "/caf/campagnes",
        f"/caf/campagnes/{campaign_id}",
        f"/caf/campagnes/{campaign_id}/export.csv",
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
