"""Every page at 320 px (RGAA 10.11, WCAG 1.4.10 reflow), as each role sees it, in Debian's chromium: no
horizontal scrolling of the page, no element wider than the screen outside a container scrolling on its own,
axe-core finding no violation of any impact level, each field reached with Tab shown above the sticky save bar
(WCAG 2.2 SC 2.4.11), and every error page met on the way French HTML in the site's layout with a way back.

The pages are listed from the gateway's routes (every GET answered in HTML), so a new page is swept without
touching this test; a new path parameter fails the sweep until ``_world`` says which object of the world it opens.
The world: an EAJE declaration transmitted to the Caf (read-only forms, the Caf's instruction page) and an ALSH
declaration on two sites being filled (editable forms with the sticky save bar; one saved, which its validated
approbateur may send back), an import job, the user guides, an unknown address (404) and a malformed identifier
(422). The confirmation pages, answers to a first POST, are swept too (``CONFIRMATIONS``)."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.responses import HTMLResponse
from fastapi.routing import APIRoute

from afas_shared.testing.fixtures import eventually
from tests.e2e.alsh_campaign import open_alsh_campaign
from tests.e2e.conftest import AXE_SOURCE
from tests.e2e.test_seed_001_story import SITE_A
from tests.integration.caf_pages_helpers import AGENT, _transmitted
from tests.integration.test_declaration_journey import ADMIN, KARIM

PASSWORD = "Demo-Afas-2026!"
WIDTH = 320
# The partner's administrator of the demo is also its approbateur: one sign-in covers both roles' pages
SIGN_INS = {"partenaire (administrateur et approbateur)": ADMIN, "fournisseur de données": KARIM, "agent Caf": AGENT}
PARAMETER = re.compile(r"{(\w+)}")
# One line imported by the Caf agent, for the import job's page
CATALOGUE_CSV = (
    "partenaire_siret;caf;famille;nature;nom;mode_lieux;lieux;date_ouverture;date_fermeture;places;ideq;dossier_afc\n"
    "21800021900004;080;laep;general;LAEP Importé;mono_lieu;;2024-01-01;;;LAEP0899;\n"
)

# What the page finds wrong at the width it is shown: the document scrolling sideways, or an element sticking out
# of the screen while no ancestor scrolls it (a table in its own scrolling container is fine)
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const found = [];
  if (document.documentElement.scrollWidth > width) {
    found.push(`document ${document.documentElement.scrollWidth} px wide for ${width} px`);
  }
  const scrolls = (e) => {
    for (let p = e.parentElement; p && p !== document.body; p = p.parentElement) {
      const x = getComputedStyle(p).overflowX;
      if (x === 'auto' || x === 'scroll') return true;
    }
    return false;
  };
  for (const e of document.body.querySelectorAll('*')) {
    const box = e.getBoundingClientRect();
    if (box.width === 0 || box.height === 0 || box.right <= 0) continue;  // not shown, or moved off screen on purpose
    if ((box.right > width + 1 || box.width > width + 1) && !scrolls(e)) {
      const classes = e.className ? '.' + String(e.className).replace(/ /g, '.') : '';
      const name = e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + classes;
      found.push(`${name} ${Math.round(box.left)}..${Math.round(box.right)} px`);
    }
  }
  return found.slice(0, 8);
}"""


# The focused element, when the sticky save bar covers part of it (WCAG 2.2 SC 2.4.11)
HIDDEN_FOCUS = """() => {
  const e = document.activeElement, bar = document.querySelector('.barre-enregistrement');
  if (!e || e === document.body || !bar || bar.contains(e)) return null;
  const box = e.getBoundingClientRect(), top = bar.getBoundingClientRect().top;
  const where = `${Math.round(box.top)}..${Math.round(box.bottom)} px, bar from ${Math.round(top)}`;
  return box.bottom > top + 1 ? `${e.id || e.tagName} ${where}` : null;
}"""


NEXT_FRAMES = "new Promise(done => requestAnimationFrame(() => requestAnimationFrame(done)))"


def page_paths(routers) -> list[str]:
    """The address of every page the gateway mounts: a GET answered in HTML, outside the API and the probes."""
    from afas_declaration.gateway.web.error_pages import is_page

    return sorted(
        router.prefix + route.path
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute)
        and "GET" in route.methods
        and route.response_class is HTMLResponse
        and is_page(route.path)
        and not route.path.startswith("/static")
    )


async def _sign_in(site, identifier: str):
    context = await site.browser.new_context(locale="fr-FR", viewport={"width": WIDTH, "height": 640})
    page = await context.new_page()
    await page.goto(f"{site.base_url}/connexion")
    await page.fill("#champ-identifiant", identifier)
    await page.fill("#champ-mot_de_passe", PASSWORD)
    await page.click("button:has-text('Se connecter')")
    await page.wait_for_url(f"{site.base_url}/accueil")
    return page


async def _world(site, platform, catalogue) -> dict[str, list[str]]:
    """The objects the pages' addresses name, by path parameter."""
    eaje, headers = await _transmitted(platform, catalogue)
    alsh_id = await open_alsh_campaign(platform, catalogue, approbateur_validated=True)
    karim = await platform.login(KARIM)
    await _saved_to_send_back(platform, alsh_id, karim, headers[ADMIN])
    form_ids = []
    for declaration, who in ((eaje, headers[ADMIN]), (alsh_id, karim)):
        shown = await platform.client.get(f"/api/v1/declarations/{declaration}", headers=who)
        form_ids += [f["id"] for f in shown.json()["formulaires"]]
    campaigns = (await platform.client.get("/api/v1/campaigns", headers=catalogue.agent)).json()
    campaign_ids = [c["id"] for c in (campaigns["elements"] if isinstance(campaigns, dict) else campaigns)]
    agent = await _sign_in(site, AGENT)
    await agent.goto(f"{site.base_url}/caf/activites")
    await agent.set_input_files(
        "#champ-fichier",
        files=[{"name": "catalogue.csv", "mimeType": "text/csv", "buffer": CATALOGUE_CSV.encode()}],
    )
    await agent.click("button:has-text('Importer')")
    await agent.wait_for_url("**/caf/activites/import/**")
    job_id = agent.url.rsplit("/", 1)[1]
    await agent.context.close()
    return {
        "declaration_id": [eaje, alsh_id],
        "form_id": form_ids,
        "partner_id": [catalogue.partner],
        "campaign_id": campaign_ids[:2],
        "job_id": [job_id],
    }


async def _saved_to_send_back(platform, declaration: str, provider: dict, approbateur: dict) -> None:
    """One ALSH form saved by its provider: the approbateur's « Renvoyer au fournisseur » page is swept as offered."""
    url = f"/api/v1/declarations/{declaration}"
    form = (await platform.client.get(url, headers=provider)).json()["formulaires"][0]
    body = {"version": form["version"], "valeurs": SITE_A}
    saved = await platform.client.put(f"/api/v1/forms/{form['id']}", headers=provider, json=body)
    assert saved.status_code == 200, saved.text

    async def offered() -> bool:
        shown = (await platform.client.get(url, headers=approbateur)).json().get("formulaires", [])
        return any(f["renvoyable"] for f in shown)

    await eventually(offered, timeout=20)


# The confirmation pages (answers to a POST, so no route lists them): per role, the page holding the action's form;
# the form is posted without « confirmation », which only shows the page asking for it
CONFIRMATIONS = {
    "partenaire (administrateur et approbateur)": [("/administration/habilitations", "form[action$='/fin']")],
    "agent Caf": [
        ("/caf/instruction/{declaration_id}", "form[action$='/annuler']"),
        ("/caf/partenaires/{partner_id}", "form[action$='/suspendre']"),
        ("/caf/campagnes/{campaign_id}", "form[action$='/cloture']"),
    ],
}


# The form posted as typed in: its reason boxes filled (a suspension asks for one before confirming)
SUBMIT = """f => {
  f.querySelectorAll('textarea').forEach(t => { t.value = t.value || 'Vérification de la page à 320 px.'; });
  f.submit();
}"""


async def _confirmation_problems(site, page, path: str, form: str) -> dict:
    await page.goto(f"{site.base_url}{path}")
    assert await page.locator(form).count(), f"{path}: no {form} to confirm"
    async with page.expect_navigation():
        await page.locator(form).first.evaluate(SUBMIT)
    assert await page.locator("input[name='confirmation'][value='oui']").count(), f"{path}: no confirmation page"
    return await _problems(page)


def addresses(paths: list[str], values: dict[str, list[str]]) -> list[str]:
    """Each page address with each object its parameters name (one address per object of the first parameter)."""
    found = []
    for path in paths:
        names = PARAMETER.findall(path)
        missing = [n for n in names if n not in values]
        assert not missing, f"{path}: say in VALUES which object {missing} names, so that the page is swept"
        if not names:
            found.append(path)
            continue
        for i in range(max(len(values[n]) for n in names)):
            found.append(PARAMETER.sub(lambda m, i=i: values[m.group(1)][min(i, len(values[m.group(1)]) - 1)], path))
    # and the error pages: an unknown address (404), a malformed identifier (422)
    return found + ["/nexiste-pas", "/formulaires/abc", "/caf/baremes?famille=alsh", "/caf/baremes?famille=eaje_psu"]


@pytest.mark.timeout(900)
async def test_every_page_reflows_at_320_px_and_passes_axe_for_every_role(site, platform, catalogue):
    values = await _world(site, platform, catalogue)
    paths = addresses(page_paths(platform.gateway.routers), values)
    problems: dict[str, dict] = {}
    errors: dict[int, int] = {}  # the error pages met on the way, by status
    swept = 0
    for role, identifier in SIGN_INS.items():
        page = await _sign_in(site, identifier)
        for path in paths:
            if path in ("/", "/connexion"):
                continue  # the sign-in page is swept signed out, below
            response = await page.goto(f"{site.base_url}{path}")
            swept += 1
            if response.status >= 400:
                errors[response.status] = errors.get(response.status, 0) + 1
                if refusal := await _not_a_french_error_page(page, response):
                    problems[f"{role} {path} ({response.status})"] = {"page d'erreur": refusal}
            found = await _problems(page)
            if found:
                problems[f"{role} {path}"] = found
        for path, form in CONFIRMATIONS.get(role, []):
            path = PARAMETER.sub(lambda m: values[m.group(1)][-1], path)
            swept += 1
            if found := await _confirmation_problems(site, page, path, form):
                problems[f"{role} confirmation {path} {form}"] = found
        await page.context.close()
    anonymous = await (await site.browser.new_context(viewport={"width": WIDTH, "height": 640})).new_page()
    for path in ("/connexion", "/mot-de-passe-oublie", "/activation", "/etat", "/nexiste-pas"):
        await anonymous.goto(f"{site.base_url}{path}")
        swept += 1
        if found := await _problems(anonymous):
            problems[f"anonyme {path}"] = found
    assert swept > 60
    assert {403, 404, 422} <= errors.keys(), errors  # a refusal, an unknown address, a malformed one
    assert problems == {}, json.dumps(problems, ensure_ascii=False, indent=1)


async def _problems(page) -> dict:
    overflow = await page.evaluate(OVERFLOW)
    hidden = await _focus_hidden_by_the_save_bar(page)
    await page.evaluate(AXE_SOURCE)
    result = await page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    violations = [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
    ]
    return {k: v for k, v in (("débordement", overflow), ("axe", violations), ("focus masqué", hidden)) if v}


async def _focus_hidden_by_the_save_bar(page) -> list[str]:
    """Tab through a page with the save bar, as a keyboard user fills the form: each field focused in turn must
    show above the bar."""
    if not await page.locator(".barre-enregistrement").count():
        return []
    hidden = []
    await page.locator("main").focus()
    for _ in range(150):
        await page.keyboard.press("Tab")
        if await page.evaluate("document.activeElement.closest('.barre-enregistrement') !== null"):
            break
        await page.evaluate(NEXT_FRAMES)  # the page's own scrolling, if any, is done
        if found := await page.evaluate(HIDDEN_FOCUS):
            hidden.append(found)
    return hidden[:5]


async def _not_a_french_error_page(page, response) -> str | None:
    """What is wrong with an error answer a person gets: not HTML, not French, or no way back."""
    if not response.headers.get("content-type", "").startswith("text/html"):
        return f"pas une page HTML : {response.headers.get('content-type')}"
    if await page.evaluate("document.documentElement.lang") != "fr":
        return "pas en français"
    if not await page.locator("main a[href='/accueil']").count():
        return "pas de lien de retour à l'accueil"
    return None
