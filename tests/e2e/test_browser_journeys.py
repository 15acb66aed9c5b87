"""The partner and Caf journeys in a real browser (Debian's chromium driven by Playwright), on every page an
axe-core check (no serious or critical violation) and a screenshot kept under tests/e2e/artefacts/.

Partner: the administrator grants the roles, the providers fill their forms (autosaved, estimate updating),
the approbateur controls, justifies with figures, signs, transmits and downloads the PDF receipt.
Caf: opens the campaign, validates the approbateur, refuses the declaration, compares the revised version with the
refused one (the changed value side by side), then validates it."""

from __future__ import annotations

import asyncio
import re

import pytest
import pytest_asyncio

from afas_shared.settings import CommonSettings
from afas_shared.testing.fixtures import settings_factory
from tests.e2e.conftest import browsing, serving
from tests.integration.conftest import demo_catalogue, started_platform
from tests.integration.test_declaration_journey import ACTIVITY, ADMIN, BUDGET, KARIM, SOPHIE

pytestmark = pytest.mark.asyncio(loop_scope="module")

AGENT = "100000001"
PASSWORD = "Demo-Afas-2026!"


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def served(backends, tmp_path_factory):
    """One platform, served and browsed, for the module's two tests: the idle warning only signs Karim in, in a
    browser context and on a page clock of its own, which the journeys leave as they found them."""
    common = CommonSettings(
        nats_url=backends.nats_url, bus_prefix=backends.bus_prefix(), var_dir=tmp_path_factory.mktemp("journeys")
    )
    made: list[str] = []
    make_settings = settings_factory(backends, common, made)
    try:
        async with started_platform(make_settings, backends) as platform:
            async with serving(platform, make_settings) as url, browsing(url) as site:
                yield platform, site
    finally:
        backends.release(made)


@pytest.fixture
def platform(served):
    return served[0]


@pytest.fixture
def site(served):
    site = served[1]
    site.violations.clear()  # each test states the accessibility of its own pages
    return site


@pytest_asyncio.fixture(loop_scope="module")
async def catalogue(platform):
    return await demo_catalogue(platform)


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


async def _visit(site, page, path: str, shot: str, expected: tuple[int, ...] = (200,)) -> None:
    response = await page.goto(f"{site.base_url}{path}")
    assert response.status in expected, (path, response.status)
    await site.check(page, shot)


async def _until(page, url: str, text: str, tries: int = 40) -> None:
    """Reload until ``text`` shows: events take a moment to reach the declaration service's read models."""
    for _ in range(tries):
        await page.goto(url)
        if text in await page.inner_text("main"):
            return
        await asyncio.sleep(0.25)
    raise AssertionError(f"{text!r} never appeared on {url}")


async def _fill_form(page, values: dict) -> None:
    for name, value in values.items():
        field = page.locator(f"#champ-{name}")
        if await field.evaluate("e => e.tagName") == "SELECT":
            await field.select_option("oui" if value is True else "non")
        else:
            await field.fill(str(value))
    await page.locator("#statut-enregistrement").filter(has_text="Enregistré à").wait_for(timeout=10_000)


async def test_partner_and_caf_journeys(site, platform, catalogue):
    base, eaje = site.base_url, catalogue.activities["eaje"]

    # Caf: opens the campaign of the EAJE forecast
    agent = await _sign_in(site, AGENT)
    await site.check(agent, "caf-accueil")
    await _visit(site, agent, "/caf/campagnes", "caf-campagnes")
    await agent.select_option("#champ-type_activite", "eaje_psu")
    await agent.fill("#champ-exercice", "2026")
    await agent.select_option("#champ-type_declaration", "previsionnelle")
    await agent.fill("#champ-date_ouverture", "2026-03-02")
    await agent.fill("#champ-date_limite", "2026-04-15")
    await agent.click("button:has-text('Ouvrir la campagne')")
    await _until(agent, f"{base}/caf/campagnes", "1 campagne")

    # Partner administrator: grants the three roles through « Administration des profils »
    admin = await _sign_in(site, ADMIN)
    await _visit(site, admin, "/administration/habilitations", "administration-habilitations")
    for who, role in ((KARIM, "fda"), (SOPHIE, "fdf"), (ADMIN, "approbateur")):
        await admin.goto(f"{base}/administration/habilitations")
        await admin.select_option("#champ-utilisateur_id", catalogue.users[who])
        await admin.select_option("#champ-role", role)
        await admin.check(f"#champ-activite-{eaje['id']}")
        await admin.click("button:has-text('Habiliter')")
        await admin.wait_for_load_state()
        assert "erreur" not in (await admin.inner_text("main")).lower()
    await _visit(site, admin, "/administration/utilisateurs", "administration-utilisateurs")

    # Caf: validates the approbateur
    await _until(agent, f"{base}/caf/approbateurs", "Multi-accueil Les Lucioles")
    await site.check(agent, "caf-approbateurs")
    await agent.click("button:has-text('Valider')")
    await agent.wait_for_load_state()

    # Providers fill their forms; the autosave says when, the estimate follows
    karim = await _sign_in(site, KARIM, shot="connexion")
    await _until(karim, f"{base}/accueil", "Vous avez 1 déclaration à saisir")
    await site.check(karim, "accueil")
    await karim.click("text=Mes déclarations")
    await site.check(karim, "mes-declarations")
    await karim.click("summary[aria-label^='Actions pour Multi-accueil']")
    await karim.click("text=Saisir les données d'activité")
    await site.check(karim, "declaration")
    await karim.click("a:has-text('Saisir')")
    await site.check(karim, "formulaire-activite")
    await _fill_form(karim, ACTIVITY)
    offered = await karim.locator("output[data-calcule='heures_offertes']").inner_text()
    assert re.sub(r"\s", "", offered) == "96800"
    # Activity data alone is not the prestation: the estimate waits for the budget, in words, not field ids
    waiting = await karim.locator("#estimation-montant").inner_text()
    assert "indisponible" in waiting and "€" not in waiting and "total_charges" not in waiting, waiting
    # Phone width: the page reflows, only the tables scroll
    await karim.set_viewport_size({"width": 390, "height": 844})
    await karim.goto(f"{base}/declarations")
    assert await karim.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
    await site.check(karim, "mes-declarations-telephone")

    sophie = await _sign_in(site, SOPHIE)
    await sophie.goto(f"{base}/declarations")
    await sophie.click("a:has-text('Multi-accueil Les Lucioles')")
    declaration = sophie.url.rsplit("/", 1)[1]
    await sophie.click("a:has-text('Saisir')")
    await _fill_form(sophie, BUDGET)
    assert "€" in await sophie.locator("#estimation-montant").inner_text()
    await site.check(sophie, "formulaire-financier")

    # Approbateur: controls, justifies with figures, signs, transmits, downloads the receipt
    await _until(admin, f"{base}/declarations/{declaration}/controle", "Lancer les contrôles")
    await site.check(admin, "controle-avant")
    await admin.click("button:has-text('Lancer les contrôles')")
    assert "Taux de facturation" in await admin.inner_text("main")
    await site.check(admin, "controle")
    await admin.fill("textarea[name='texte']", "Contrats mensualisés : les absences des enfants ne sont pas déduites.")
    await admin.fill("input[name='montant']", "6000")
    await admin.click("button:has-text('Enregistrer la justification')")
    await admin.wait_for_url(f"**/declarations/{declaration}/controle**")
    assert "Justifié" in await admin.inner_text("main")
    await _visit(site, admin, f"/declarations/{declaration}/transmission", "transmission")
    await admin.check("#champ-signature")
    await admin.click("button:has-text('Transmettre à la Caf')")
    await admin.wait_for_url(f"**/declarations/{declaration}?transmise=1**")
    assert "Déclaration transmise à la Caf." in await admin.inner_text("main")
    await site.check(admin, "declaration-transmise")
    async with admin.expect_download() as download_info:
        await admin.click("text=Télécharger l'accusé de réception (PDF)")
    path = await (await download_info.value).path()
    assert (await asyncio.to_thread(path.read_bytes)).startswith(b"%PDF-")

    # Caf: refuses with a reason; the approbateur revises and transmits version 2; the Caf validates it
    await _visit(site, agent, "/caf/instruction", "caf-instruction")
    await _visit(site, agent, f"/caf/instruction/{declaration}", "caf-declaration")
    await agent.fill("#champ-motif_refuser", "Les heures facturées dépassent les contrats signés.")
    await agent.click("button:has-text('Refuser')")
    await agent.wait_for_load_state()
    await admin.goto(f"{base}/declarations")
    assert "Refusée Caf" in await admin.inner_text("main")
    await admin.goto(f"{base}/declarations/{declaration}")
    await admin.locator("a:has-text('Saisir')").first.click()
    await _fill_form(admin, {"heures_facturees": "63000"})  # 105 %: nothing left to justify
    await admin.goto(f"{base}/declarations/{declaration}/controle")
    await admin.click("button:has-text('Lancer les contrôles')")
    assert "La déclaration peut être transmise" in await admin.inner_text("main")
    await admin.goto(f"{base}/declarations/{declaration}/transmission")
    await admin.check("#champ-signature")
    await admin.click("button:has-text('Transmettre à la Caf')")
    await admin.wait_for_url(f"**/declarations/{declaration}?transmise=1**")
    await agent.goto(f"{base}/caf/instruction/{declaration}")
    # Version 2 beside the refused version 1: the changed value by its label, old and new, under the reason
    changed = agent.locator("table.comparaison tr", has_text="Heures facturées aux familles")
    cells = [re.sub(r"\s", "", c) for c in await changed.locator("td").all_inner_texts()]
    assert cells[-2:] == ["66000h", "63000h"], cells
    assert "Les heures facturées dépassent les contrats signés." in await agent.inner_text("#changements + p")
    await site.check(agent, "caf-declaration-comparaison")
    await agent.click("button:has-text('Valider')")
    await agent.wait_for_load_state()
    await admin.goto(f"{base}/declarations/{declaration}")
    text = await admin.inner_text("main")
    assert "Validée Caf" in text and "Version 2" in text and "refusée par la Caf" in text

    # The validated forecast triggers the Caf's first advance, shown with the partner's messages
    await _until(admin, f"{base}/messages", "acompte")
    await _until(admin, f"{base}/messages", "refus")  # the Caf's refusal reached the inbox
    await site.check(admin, "messages")

    # Every other page passes the accessibility check too
    for path, shot in (
        ("/pilotage", "pilotage"),
        ("/mot-de-passe", "changer-mot-de-passe"),
    ):
        await _visit(site, admin, path, shot)
    for path, shot in (
        ("/caf/partenaires", "caf-partenaires"),
        (f"/caf/partenaires/{catalogue.partner}", "caf-partenaire"),
        ("/caf/baremes?famille=eaje_psu", "caf-baremes"),
    ):
        await _visit(site, agent, path, shot)
    campaigns = await agent.goto(f"{base}/caf/campagnes")
    assert campaigns.status == 200
    await agent.locator("a[href^='/caf/campagnes/']").first.click()
    await site.check(agent, "caf-campagne-suivi")
    anonymous = await (await site.browser.new_context()).new_page()
    await _visit(site, anonymous, "/mot-de-passe-oublie", "mot-de-passe-oublie")
    await _visit(site, anonymous, "/etat", "etat-plateforme")

    site.assert_accessible()


async def test_idle_pages_warn_a_minute_before_the_30_minute_logout(site, platform):
    context = await site.browser.new_context(locale="fr-FR")
    page = await context.new_page()
    await page.clock.install()
    await page.goto(f"{site.base_url}/connexion")
    await page.fill("#champ-identifiant", KARIM)
    await page.fill("#champ-mot_de_passe", PASSWORD)
    await page.click("button:has-text('Se connecter')")
    await page.wait_for_url(f"{site.base_url}/accueil")
    dialog = page.locator("#expiration")
    await page.clock.run_for("28:50")
    assert not await dialog.is_visible()
    await page.clock.run_for("00:20")
    await dialog.wait_for(state="visible")
    await site.check(page, "avertissement-expiration")
    await page.click("#rester-connecte")  # renews the session on the server too
    await dialog.wait_for(state="hidden")
    await page.clock.run_for("30:10")
    await page.wait_for_url(f"{site.base_url}/connexion?expiree=1")
    assert "Votre session a expiré" in await page.inner_text("main")
