"""Pièces justificatives in a real browser (Debian's chromium driven by Playwright, axe-core on each page): the
approbateur attaches a file to a flagged control's justification with the plain upload form, sees it listed with
who and when, downloads it as sent, and a refused kind of file gets a French page naming the kinds accepted."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.test_browser_journeys import _sign_in
from tests.integration.test_declaration_journey import ADMIN, _eaje_declaration, _fill

RELEVE = "Mois;Heures facturées\r\njanvier;5200\r\nfévrier;5100\r\n".encode()


async def test_the_approbateur_attaches_a_file_to_a_justification_and_downloads_it(
    site, platform, catalogue, tmp_path: Path
):
    declaration, headers = await _eaje_declaration(platform, catalogue)
    await _fill(platform, declaration, headers)
    run = await platform.client.post(f"/api/v1/declarations/{declaration}/controls", headers=headers[ADMIN])
    [key] = [c["cle"] for c in run.json()["controles"] if c["a_justifier"]]

    page = await _sign_in(site, ADMIN)
    await page.goto(f"{site.base_url}/declarations/{declaration}/controle")
    row = page.locator(f"#controle-{key}")
    await site.check(page, "pieces-jointes-controle")
    await row.locator("input[name='fichier']").set_input_files(
        files=[{"name": "releve-heures.csv", "mimeType": "text/csv", "buffer": RELEVE}]
    )
    await row.locator("button:has-text('Joindre le fichier')").click()
    await page.wait_for_url(f"**/declarations/{declaration}/controle#controle-{key}")
    listed = await row.inner_text()
    assert "releve-heures.csv" in listed and "déposée par" in listed and "CSV" in listed, listed
    await site.check(page, "pieces-jointes-controle-jointe")

    # Downloaded as sent, from the link of the list
    async with page.expect_download() as downloading:
        await row.locator("a:has-text('releve-heures.csv')").click()
    download = await downloading.value
    saved = tmp_path / download.suggested_filename
    await download.save_as(saved)
    assert saved.name == "releve-heures.csv" and saved.read_bytes() == RELEVE

    # The declaration's page lists it too, beside its own upload form
    await page.goto(f"{site.base_url}/declarations/{declaration}#pieces-jointes")
    assert "releve-heures.csv" in await page.inner_text("main")
    await site.check(page, "pieces-jointes-declaration")

    # A program named like a PDF: refused in French, naming the kinds accepted, with a way back
    await page.locator("#piece-declaration").set_input_files(
        files=[{"name": "facture.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00" + bytes(200)}]
    )
    await page.locator("button:has-text('Joindre le fichier')").click()
    await page.wait_for_load_state()
    refused = await page.inner_text("main")
    assert "Type de fichier refusé" in refused and "PDF, PNG, JPEG, XLSX, ODS ou CSV" in refused, refused
    await site.check(page, "pieces-jointes-refusee")
    await page.click("text=Revenir à la page précédente")
    assert "facture" not in await page.inner_text("main")
    site.assert_accessible()
