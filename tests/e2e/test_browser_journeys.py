"""The partner journey in a real browser: providers fill their forms (autosaved, estimate updating), the
approbateur controls, justifies with figures, signs, transmits and downloads the PDF receipt. axe-core runs on
every page (no serious or critical violation) and each page's screenshot is kept as a test artefact."""

from __future__ import annotations

import asyncio

from tests.integration.test_declaration_journey import ACTIVITY, ADMIN, BUDGET, KARIM, SOPHIE, _eaje_declaration

PASSWORD = "Demo-Afas-2026!"


async def _sign_in(site, identifier: str, shot: str | None = None):
    context = await site.browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(f"{site.base_url}/connexion")
    if shot:
        await site.check(page, shot)
    # Keyboard only: the fields are reachable and the form submits with Enter
    await page.focus("#champ-identifiant")
    await page.keyboard.type(identifier)
    await page.keyboard.press("Tab")
    await page.keyboard.type(PASSWORD)
    await page.keyboard.press("Enter")
    await page.wait_for_url(f"{site.base_url}/accueil")
    return page


async def _fill_form(page, values: dict) -> None:
    for name, value in values.items():
        field = page.locator(f"#champ-{name}")
        if await field.evaluate("e => e.tagName") == "SELECT":
            await field.select_option("oui" if value is True else "non")
        else:
            await field.fill(str(value))


async def test_partner_journey_fill_control_justify_sign_transmit_download(site, platform, catalogue):
    declaration, _ = await _eaje_declaration(platform, catalogue)

    karim = await _sign_in(site, KARIM, shot="connexion")
    assert "Vous avez 1 déclaration à saisir" in await karim.inner_text("main")
    await site.check(karim, "accueil")
    await karim.click("text=Mes déclarations")
    await site.check(karim, "mes-declarations")
    await karim.click("summary[aria-label^='Actions pour Multi-accueil']")
    await karim.click("text=Saisir les données d'activité")
    await karim.click("a:has-text('Saisir')")
    await site.check(karim, "formulaire-activite")
    await _fill_form(karim, ACTIVITY)
    status = karim.locator("#statut-enregistrement")
    await status.filter(has_text="Enregistré à").wait_for(timeout=10_000)
    assert (await karim.locator("output[data-calcule='heures_offertes']").inner_text()).replace("\u202f", " ") in (
        "96 800",
        "96\u00a0800",
    )
    # Phone width: the page reflows, only the tables scroll
    await karim.set_viewport_size({"width": 390, "height": 844})
    await karim.goto(f"{site.base_url}/declarations")
    overflow = await karim.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 1
    await site.check(karim, "mes-declarations-telephone")

    sophie = await _sign_in(site, SOPHIE)
    await sophie.goto(f"{site.base_url}/declarations/{declaration}")
    await sophie.click("a:has-text('Saisir')")
    await _fill_form(sophie, BUDGET)
    await sophie.locator("#statut-enregistrement").filter(has_text="Enregistré à").wait_for(timeout=10_000)
    await site.check(sophie, "formulaire-financier")

    admin = await _sign_in(site, ADMIN)
    await admin.goto(f"{site.base_url}/declarations/{declaration}/controle")
    await site.check(admin, "controle-avant")
    await admin.click("button:has-text('Lancer les contrôles')")
    assert "Taux de facturation" in await admin.inner_text("main")
    await site.check(admin, "controle")
    await admin.fill("textarea[name='texte']", "Contrats mensualisés : les absences des enfants ne sont pas déduites.")
    await admin.fill("input[name='montant']", "6000")
    await admin.click("button:has-text('Enregistrer la justification')")
    await admin.wait_for_url(f"**/declarations/{declaration}/controle**")
    assert "Justifié" in await admin.inner_text("main")
    await admin.goto(f"{site.base_url}/declarations/{declaration}/transmission")
    await site.check(admin, "transmission")
    await admin.check("#champ-signature")
    await admin.click("button:has-text('Transmettre à la Caf')")
    await admin.wait_for_url(f"**/declarations/{declaration}?transmise=1**")
    assert "Déclaration transmise à la Caf." in await admin.inner_text("main")
    await site.check(admin, "declaration-transmise")
    async with admin.expect_download() as download_info:
        await admin.click("text=Télécharger l'accusé de réception (PDF)")
    download = await download_info.value
    path = await download.path()
    assert (await asyncio.to_thread(path.read_bytes)).startswith(b"%PDF-")

    site.assert_accessible()
