"""Documents from the Caf in a real browser (Debian's chromium driven by Playwright, axe-core on each page): the Caf's
agent publishes a notification de droit from the partner's page with the plain upload form; the partner's
administrator sees it counted on the home page, lists it under « Documents », opens it (downloaded as sent) and its
« ouvert le » date appears; the agent's page then shows when the partner opened it."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_browser_journeys import _sign_in
from tests.integration.test_caf_documents import _partner_known

AGENT, ADMIN = "100000001", "200000001"
PDF = b"%PDF-1.7\n" + b"% notification de droit 2026\n" * 40 + b"%%EOF\n"
TITLE = "Notification de droit PSU 2026"


async def test_a_caf_agent_publishes_a_document_the_partner_opens_it_and_both_see_the_opening_date(
    site, platform, catalogue, tmp_path: Path
):
    partner = catalogue.partner
    await _partner_known(platform, partner)

    agent = await _sign_in(site, AGENT)
    await agent.goto(f"{site.base_url}/caf/partenaires/{partner}#documents")
    await agent.select_option("#champ-nature", "notification_droit")
    await agent.fill("#champ-titre", TITLE)
    await agent.select_option("#champ-activite", label="Multi-accueil Les Lucioles")
    await agent.fill("#champ-exercice", "2026")
    await agent.locator("#champ-fichier").set_input_files(
        files=[{"name": "notification.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    await agent.click("button:has-text('Envoyer le document')")
    await agent.wait_for_load_state()
    sent = agent.locator("#documents + .tableau tr", has_text=TITLE)
    assert "Pas encore ouvert" in await sent.inner_text()
    await site.check(agent, "documents-caf-envoye")

    # The partner's home page counts it, and leads to « Documents »
    admin = await _sign_in(site, ADMIN)
    assert "1 document de la Caf pas encore ouvert" in await admin.inner_text("main")
    await admin.click("text=voir les documents")
    await admin.wait_for_url(f"{site.base_url}/documents")
    row = admin.locator("tbody tr", has_text=TITLE)
    listed = await row.inner_text()
    assert "Notification de droit" in listed and "Multi-accueil Les Lucioles" in listed and "2026" in listed
    assert "Pas encore ouvert" in listed
    await site.check(admin, "documents-partenaire")

    # Opened (downloaded as sent); its « ouvert le » date appears, and the home page no longer counts it
    async with admin.expect_download() as downloading:
        await row.locator(f"a:has-text('{TITLE}')").click()
    download = await downloading.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    assert saved.read_bytes() == PDF
    await admin.reload()
    opened = await admin.locator("tbody tr", has_text=TITLE).locator("td").last.inner_text()
    assert opened != "Pas encore ouvert" and "2026" in opened, opened
    await site.check(admin, "documents-partenaire-ouvert")
    await admin.goto(f"{site.base_url}/accueil")
    assert "pas encore ouvert" not in await admin.inner_text("main")

    # The Caf's agent sees when the partner opened it
    await agent.reload()
    seen = await agent.locator("#documents + .tableau tr", has_text=TITLE).locator("td").last.inner_text()
    assert seen == opened, (seen, opened)
    site.assert_accessible()
