"""The secure thread in a real browser (Debian's chromium driven by Playwright, axe-core on each page): the approbateur
attaches a file to a flagged control's justification, the Caf's agent answers in the declaration's thread, and the
approbateur sees the unread message on the home page, opens « Échanges avec la Caf » from the declaration, reads the
reply (marked read from then on) and answers with a file, without JavaScript being needed."""

from __future__ import annotations

from tests.e2e.test_browser_attachments import RELEVE
from tests.e2e.test_browser_journeys import _sign_in
from tests.integration.test_declaration_journey import ADMIN, _eaje_declaration, _fill

REPLY = "Merci pour le relevé : pouvez-vous préciser les heures de février ?"


async def test_the_approbateur_attaches_a_justification_file_and_reads_the_cafs_reply_in_the_thread(
    site, platform, catalogue
):
    declaration, headers = await _eaje_declaration(platform, catalogue)
    await _fill(platform, declaration, headers)
    run = await platform.client.post(f"/api/v1/declarations/{declaration}/controls", headers=headers[ADMIN])
    [key] = [c["cle"] for c in run.json()["controles"] if c["a_justifier"]]

    page = await _sign_in(site, ADMIN)
    await page.goto(f"{site.base_url}/declarations/{declaration}/controle")
    row = page.locator(f"#controle-{key}")
    await row.locator("input[name='fichier']").set_input_files(
        files=[{"name": "releve-heures.csv", "mimeType": "text/csv", "buffer": RELEVE}]
    )
    await row.locator("button:has-text('Joindre le fichier')").click()
    await page.wait_for_url(f"**/declarations/{declaration}/controle#controle-{key}")
    assert "releve-heures.csv" in await row.inner_text()

    # The Caf's agent answers in the thread
    answered = await platform.client.post(
        f"/api/v1/declarations/{declaration}/messages", headers=catalogue.agent, data={"texte": REPLY}
    )
    assert answered.status_code == 201, answered.text

    await page.goto(f"{site.base_url}/accueil")
    home = await page.inner_text("main")
    assert "Vous avez 1 message de la Caf non lu" in home, home
    await site.check(page, "fil-accueil-non-lu")
    await page.goto(f"{site.base_url}/declarations/{declaration}")
    await page.click("text=Échanges avec la Caf")
    await page.wait_for_url(f"**/declarations/{declaration}/messages")
    thread = await page.inner_text("main")
    assert REPLY in thread and "Nouveau" in thread, thread
    await site.check(page, "fil-echanges")

    # An empty message is refused in French; then an answer with a file
    await page.click("button:has-text('Envoyer le message')")
    await page.wait_for_load_state()
    assert "Écrivez votre message avant de l'envoyer." in await page.inner_text("main")
    await page.fill("#texte-message", "Les heures de février sont dans le relevé joint.")
    await page.locator("#fichier-message").set_input_files(
        files=[{"name": "fevrier.csv", "mimeType": "text/csv", "buffer": RELEVE}]
    )
    await page.click("button:has-text('Envoyer le message')")
    await page.wait_for_url(f"**/declarations/{declaration}/messages?envoye=1#ecrire")
    thread = await page.inner_text("main")
    assert "Message envoyé" in thread and "fevrier.csv" in thread and "Pas encore lu" in thread, thread
    assert "Nouveau" not in thread  # the Caf's reply was read when the page was first opened
    await site.check(page, "fil-envoye")
    await page.goto(f"{site.base_url}/accueil")
    assert "message de la Caf non lu" not in await page.inner_text("main")
    site.assert_accessible()
