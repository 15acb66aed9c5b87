"""The Caf's pages without a browser: approbateurs validated or refused, a transmitted declaration refused then
validated, a partial estimate labelled partial on every page (campaigns, partners and barèmes:
``test_web_caf_campaigns_partners_baremes.py``)."""

from __future__ import annotations

import html
import json
import re

import sqlalchemy as sa

from afas_shared.messaging.tables import OutboxRecord
from afas_shared.testing.fixtures import eventually
from tests.integration.caf_pages_helpers import AGENT, _text, _transmit, _transmitted
from tests.integration.test_declaration_journey import ACTIVITY, ADMIN, _eaje_declaration, _estimation, _fill
from tests.integration.test_web_pages import _csrf, _sign_in


def _changes(page: str) -> list[list[str]]:
    """The rows of the table of values changed between two versions, each cell's text."""
    table = page.split('<table class="comparaison">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], re.S)
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)]
        for r in rows
    ]


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
    # The partner filter: a select of the Caf's partners by name, the chosen one kept selected
    mine = await client.get("/caf/instruction", params={"partenaire": str(catalogue.partner)})
    assert (
        declaration in mine.text and f'<option value="{catalogue.partner}" selected>Commune d&#39;Amiens' in mine.text
    )
    other = await client.get("/caf/instruction", params={"partenaire": "00000000-0000-0000-0000-000000000001"})
    assert "Aucune déclaration" in other.text

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
    # on a prévisionnelle, the gap with the actual N-1 (the threshold is the Caf payment policy's: not named)
    assert "J'accepte la justification d'un écart entre ce prévisionnel et le réel de l'exercice précédent" in (
        html.unescape(page.text)
    )
    async def rendered():  # a loaded box may take longer than the download's wait (503 « en préparation »)
        answer = await client.get(f"/declarations/{declaration}/versions/1/accuse.pdf")
        return answer if answer.status_code == 200 else None

    pdf = await eventually(rendered, timeout=90)
    assert pdf.content.startswith(b"%PDF")
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
    [row] = (await client.get("/api/v1/declarations", headers=headers[ADMIN])).json()["elements"]
    assert row["etat"] == "Refusée Caf" and row["motif_refus"] == "Les heures facturées dépassent le contrat."

    # The partner revises and transmits version 2; the agent validates it, accepting a gap justification
    await _transmit(platform, declaration, headers, {**ACTIVITY, "heures_facturees": "63000"})
    page = await client.get(f"/caf/instruction/{declaration}")
    assert "Version 2 transmise le" in _text(page.text) and "63\u00a0000" in page.text
    # Side by side: the value that changed, labelled, before and after, under the reason of the refusal
    changed = _changes(page.text)
    assert changed == [
        ["Données d'activité", "Heures facturées aux familles", "66\u00a0000 h", "63\u00a0000 h"],
        ["Données d'activité", "Taux de facturation", "110,00 %", "105,00 %"],  # computed from it
    ]
    assert "Ce qui a changé depuis la version 1" in _text(page.text)
    assert "motif : « Les heures facturées dépassent le contrat. »" in html.unescape(page.text)
    # The partner's page: its activity, the grants on it and its declaration, linked to the instruction page
    partner_page = await client.get(f"/caf/partenaires/{catalogue.partner}")
    assert partner_page.status_code == 200, partner_page.text
    partner_text = _text(partner_page.text)
    assert "Multi-accueil Les Lucioles" in partner_text and "Approbateur" in partner_text
    assert "Transmise Caf" in partner_text and f'href="/caf/instruction/{declaration}"' in partner_page.text
    assert "Caf de la Somme" in partner_text
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
