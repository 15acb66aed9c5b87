"""The secure thread of a declaration through the gateway (issue 19): the Caf's agent and the partner's approbateur and
providers write to each other (a file attached, its limits), read receipts and unread counts (home page, instruction
queue), the Caf's refusal and the approbateur's send-back written in the thread as system messages, the pages (CSRF,
an empty message refused in French). The mail notice runs on the secured platform: test_declaration_thread_notice."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from tests.integration.test_attachments import PDF, files
from tests.integration.test_declaration_journey import ADMIN, KARIM, SOPHIE, _eaje_declaration, _estimation, _fill


async def _transmit(client, declaration, approbateur) -> None:
    controls = (await client.post(f"/api/v1/declarations/{declaration}/controls", headers=approbateur)).json()
    for key in [c["cle"] for c in controls["controles"] if c["a_justifier"]]:
        justification = {"texte": "Facturation au contrat mensualisé des familles.", "montant": "6000"}
        await client.put(f"/api/v1/declarations/{declaration}/justifications/{key}", headers=approbateur,
                         json=justification)  # fmt: skip
    sent = await client.post(
        f"/api/v1/declarations/{declaration}/transmit", headers=approbateur, json={"signature": True}
    )
    assert sent.status_code == 201, sent.text


async def test_the_caf_and_the_partner_write_read_and_count_their_unread_messages(platform, catalogue, make_settings):
    declaration, headers = await _eaje_declaration(platform, catalogue)
    client, agent, claire, karim = platform.client, catalogue.agent, headers[ADMIN], headers[KARIM]
    url = f"/api/v1/declarations/{declaration}/messages"

    empty = await client.get(url, headers=claire)
    assert empty.status_code == 200 and empty.json()["messages"] == [] and empty.json()["cote"] == "partenaire"
    blank = await client.post(url, headers=agent, data={"texte": "   "})
    assert blank.status_code == 422 and "Écrivez votre message" in blank.text

    asked = await client.post(url, headers=agent, data={"texte": "Pouvez-vous joindre le relevé des heures ?"})
    assert asked.status_code == 201, asked.text
    assert asked.json()["cote"] == "caf" and asked.json()["piece"] is None
    seen = (await client.get(url, headers=karim)).json()
    assert seen["non_lus"] == 1 and seen["messages"][0]["texte"] == "Pouvez-vous joindre le relevé des heures ?"
    home = await client.get("/accueil", headers=claire)
    assert "Vous avez 1 message de la Caf non lu" in home.text and f"/declarations/{declaration}/messages" in home.text
    platform.clock.advance(timedelta(minutes=5))  # the platform's clock stands still under test: the answer comes later

    # The partner answers with a file: its type from its content, its limits named; the Caf downloads it
    refused = await client.post(url, headers=claire, **files("relevé.pdf", b"MZ\x90\x00" + bytes(100), texte="Voici."))
    assert refused.status_code == 415 and "PDF" in refused.json()["detail"]
    limit = platform.gateway.settings.attachment_max_bytes
    huge = await client.post(url, headers=claire, **files("scan.pdf", PDF + bytes(limit), texte="Voici."))
    assert huge.status_code == 413 and "10 Mo au plus" in huge.json()["detail"]
    answer = await client.post(url, headers=claire, **files("relevé.pdf", PDF, texte="Voici le relevé de mars."))
    assert answer.status_code == 201, answer.text
    piece = answer.json()["piece"]
    assert (piece["nom"], piece["type"], piece["sha256"]) == ("relevé.pdf", "PDF", hashlib.sha256(PDF).hexdigest())
    downloaded = await client.get(piece["lien"], headers=agent)
    assert downloaded.status_code == 200 and downloaded.content == PDF
    assert (await client.get(piece["lien"], headers=karim)).content == PDF  # the partner's side reads it too

    # Read receipts: the approbateur marks the Caf's message read; the Caf sees who and when
    marked = await client.post(f"{url}/lus", headers=claire)
    assert marked.status_code == 200 and marked.json()["marques"] == 1
    assert (await client.post(f"{url}/lus", headers=karim)).json()["marques"] == 0  # read once, by the side
    caf_view = (await client.get(url, headers=agent)).json()
    first = caf_view["messages"][0]
    assert first["lu_par"] == "Claire Martin" and first["lu_le"] and caf_view["non_lus"] == 1
    assert "message de la Caf non lu" not in (await client.get("/accueil", headers=claire)).text

    # The send-back's comment in the thread, for the partner's side only
    await _fill(platform, declaration, headers)
    [form] = (await client.get(f"/api/v1/declarations/{declaration}", headers=karim)).json()["formulaires"]
    back = await client.post(f"/api/v1/forms/{form['id']}/send-back", headers=claire, json={"commentaire": "Mars ?"})
    assert back.status_code == 200, back.text
    renvoi = [m for m in (await client.get(url, headers=karim)).json()["messages"] if m["nature"] == "Renvoi"]
    assert len(renvoi) == 1 and renvoi[0]["texte"].endswith("renvoyé à son fournisseur : Mars ?")
    assert all(m["nature"] != "Renvoi" for m in (await client.get(url, headers=agent)).json()["messages"])

    # Transmitted: the queue shows the partner's unread message; the refusal's reason lands in the thread, once
    await _fill(platform, declaration, headers)
    async with _estimation(make_settings, platform):
        await _transmit(client, declaration, claire)
    queue = await client.get("/caf/instruction", headers=agent)
    assert queue.status_code == 200 and "Messages non lus" in queue.text
    assert re.search(r'<span class="badge">1</span><span class="evitement"> message non lu', queue.text), queue.text
    reason = "Les heures facturées dépassent le contrat."
    refusal = await client.post(f"/api/v1/declarations/{declaration}/refuse", headers=agent, json={"motif": reason})
    assert refusal.status_code == 200, refusal.text
    thread = (await client.get(url, headers=headers[SOPHIE])).json()
    refus = [m for m in thread["messages"] if m["nature"] == "Refus de la Caf"]
    assert [(m["texte"], m["cote"], m["non_lu"]) for m in refus] == [(reason, "caf", True)]


async def test_the_thread_pages_mark_read_check_csrf_and_refuse_an_empty_message(platform, catalogue):
    declaration, headers = await _eaje_declaration(platform, catalogue)
    client, agent, claire = platform.client, catalogue.agent, headers[ADMIN]
    page_url = f"/declarations/{declaration}/messages"
    await client.post(f"/api/v1{page_url}", headers=agent, data={"texte": "Bonjour, une question sur mars."})

    declaration_page = await client.get(f"/declarations/{declaration}", headers=claire)
    assert page_url in declaration_page.text
    page = await client.get(page_url, headers=claire)
    assert page.status_code == 200 and "Échanges avec la Caf" in page.text and "Bonjour, une question" in page.text
    assert "Nouveau" in page.text  # shown as new this time, read from now on
    assert (await client.get(f"/api/v1{page_url}", headers=claire)).json()["non_lus"] == 0
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)[1]

    forged = await client.post(page_url, headers=claire, data={"texte": "Réponse", "csrf": "faux"})
    assert forged.status_code == 403
    empty = await client.post(page_url, headers=claire, data={"texte": " ", "csrf": csrf})
    assert empty.status_code == 422 and "Écrivez votre message avant de l&#39;envoyer." in empty.text
    sent = await client.post(page_url, headers=claire, **files("relevé.pdf", PDF, texte="Voici.", csrf=csrf))
    assert sent.status_code == 303 and sent.headers["location"].endswith(f"{page_url}?envoye=1#ecrire")
    caf_page = await client.get(page_url, headers=agent)
    assert "Échanges avec le partenaire" in caf_page.text and "relevé.pdf" in caf_page.text
    assert "Lu par Claire Martin" in caf_page.text
    link = re.search(r'href="(/declarations/[^"]+/fichier)"', caf_page.text)[1]
    assert (await client.get(link, headers=agent)).content == PDF
    assert page_url in (await client.get(f"/caf/instruction/{declaration}", headers=agent)).text
