"""The user guides (issue 18, point 9): a short French guide per role, in the site's layout, linked from the home
page as seed 002's portal shows « Voir le guide utilisateur »; every page a guide points to exists for its reader."""

from __future__ import annotations

import re

from tests.integration.caf_pages_helpers import AGENT
from tests.integration.test_declaration_journey import ADMIN, KARIM, _estimation
from tests.integration.test_web_pages import _sign_in

GUIDE_LINK = re.compile(r'href="(/aide/[a-z-]+)"')
PAGE_LINK = re.compile(r'href="(/(?!aide|static)[^"#?]*)"')


async def _guides_from_home(client, identifier: str) -> list[str]:
    home = await _sign_in(client, identifier)
    assert 'href="/aide"' in home  # the footer and the home page's « Aide »
    return sorted(set(GUIDE_LINK.findall(home)))


async def _check_guide(client, path: str) -> None:
    page = await client.get(path)
    assert page.status_code == 200, (path, page.status_code)
    assert '<html lang="fr">' in page.text and "<h1>Guide" in page.text
    main = page.text.split('<main id="contenu"', 1)[1].split("</main>", 1)[0]
    for target in sorted(set(PAGE_LINK.findall(main))):
        shown = await client.get(target)
        assert shown.status_code == 200, (path, target, shown.status_code)


async def test_each_role_finds_its_guides_from_the_home_page_and_every_page_they_name_exists(
    platform, catalogue, make_settings
):
    client = platform.client
    partner = await _guides_from_home(client, ADMIN)  # a partner's administrator, approbateur too
    assert partner == ["/aide/administrateur", "/aide/approbateur", "/aide/fournisseur"]
    for path in partner:
        await _check_guide(client, path)
    provider = await _guides_from_home(client, KARIM)
    assert provider == ["/aide/approbateur", "/aide/fournisseur"]
    index = await client.get("/aide")
    assert index.status_code == 200 and "Tous les guides" in index.text and "/aide/agent-caf" in index.text
    assert (await client.get("/aide/inconnu")).status_code == 404

    assert await _guides_from_home(client, AGENT) == ["/aide/agent-caf"]
    async with _estimation(make_settings, platform):  # the barèmes page the Caf's guide names asks estimation
        await _check_guide(client, "/aide/agent-caf")


async def test_the_guides_are_public_and_linked_from_the_login_and_forgotten_password_pages(platform):
    """No personal data in a guide, and they explain how to log in: readable before logging in."""
    client = platform.client
    client.cookies.clear()
    for page in ("/connexion", "/mot-de-passe-oublie"):
        shown = await client.get(page)
        assert shown.status_code == 200 and 'href="/aide"' in shown.text, page
    index = await client.get("/aide")
    assert index.status_code == 200 and "Tous les guides" in index.text
    assert "Les guides pour vous" not in index.text  # no role to choose them by
    for guide in sorted(set(GUIDE_LINK.findall(index.text))):
        page = await client.get(guide)
        assert page.status_code == 200 and "<h1>Guide" in page.text, guide
        assert "Se déconnecter" not in page.text
