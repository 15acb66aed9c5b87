"""Every page offers only what its user may do now (issue 18, point 2), in Debian's chromium: for each role — the
validated approbateur, the financial provider granted the whole activity, the activity provider granted one site,
the Caf's agent — and each state of a declaration — en cours, contrôlée, transmise, validée, refusée — the actions
the page hides are exactly those the API refuses, and the API is asked each of them to prove it.

One platform for the module: five multi-site ALSH activities, one declaration in each state, made through the API
before the first test; each role signs in once. The actions with no way back (cancelling a declaration, ending a
grant) ask for confirmation on a page of their own; the site checkboxes are offered only where a site grant is
accepted; « Renvoyer au fournisseur » is offered on a form only where the send-back would be accepted, and leads to a
comment box whose comment the provider then reads on the form open again. The world: ``offered_world``."""

from __future__ import annotations

import re
from typing import Any

import pytest
import pytest_asyncio

from afas_declaration.gateway.web.pages import COOKIE
from afas_shared.settings import CommonSettings
from afas_shared.testing.fixtures import settings_factory
from tests.e2e.conftest import browsing, serving
from tests.e2e.offered_world import JUSTIFICATION, REASON, STATES, World, _build, _ok
from tests.e2e.test_seed_001_story import SITE_A
from tests.integration.conftest import demo_catalogue, started_platform
from tests.integration.test_declaration_journey import KARIM

pytestmark = pytest.mark.asyncio(loop_scope="module")

OPEN = {"en_cours", "controlee", "refusee"}
ROLES = ("approbateur", "fournisseur", "fournisseur_lieu", "caf")
REFUSED = (403, 409)
SEND_BACK = {"commentaire": "Les heures du mercredi manquent pour l'École Jules Ferry."}


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(backends, tmp_path_factory):
    common = CommonSettings(
        nats_url=backends.nats_url, bus_prefix=backends.bus_prefix(), var_dir=tmp_path_factory.mktemp("offered")
    )
    make_settings = settings_factory(backends, common)
    async with started_platform(make_settings, backends) as platform:
        catalogue = await demo_catalogue(platform)
        async with serving(platform, make_settings, mails=False) as url, browsing(url) as site:
            built = await _build(platform, catalogue)
            built.site = site
            # each role's browser holds the session its API calls use (the login form has its own journey test)
            built.pages = {role: await _browser_of(site, headers) for role, headers in built.api.items()}
            yield built


async def _browser_of(site, headers: dict[str, str]):
    context = await site.browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900})
    token = headers["Authorization"].removeprefix("Bearer ")
    await context.add_cookies([{"name": COOKIE, "value": token, "url": site.base_url, "httpOnly": True}])
    return await context.new_page()


# --- what each role may do in each state: the issue's rule, written out -------------------------------------------


def _expected(role: str, state: str) -> dict[str, bool]:
    partner, open_ = role != "caf", state in OPEN
    return {
        "saisir": partner and open_,
        "controler": partner and open_,
        "justifier": role == "approbateur" and open_,
        "transmettre": role == "approbateur" and state == "controlee",
        "decider": role == "caf" and state == "transmise",
        "annuler": role == "caf" and state != "validee",
        "renvoyer": role == "approbateur" and open_,
    }


async def _text(page) -> str:
    return re.sub(r"\s+", " ", await page.inner_text("main"))


async def _goto(world: World, page, path: str) -> None:
    response = await page.goto(f"{world.site.base_url}{path}")
    assert response.status == 200, (path, response.status)


async def _present(page, selector: str) -> bool:
    return await page.locator(selector).count() > 0


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("role", ROLES)
async def test_a_page_hides_exactly_what_the_api_refuses(world, role, state):
    page, headers, http = world.pages[role], world.api[role], world.platform.client
    declaration, expected = world.declarations[state], _expected(role, state)
    url = f"/api/v1/declarations/{declaration}"
    detail = await _ok(await http.get(url, headers=headers))
    assert detail["etat_code"] == state, detail["etat_code"]
    hidden: list[tuple[str, str, str, Any]] = []  # each action the pages hid: the API call that must be refused

    # The declaration's page: « Contrôler » and « Transmettre » only where they would be accepted
    await _goto(world, page, f"/declarations/{declaration}")
    offered = {
        "controler": await _present(page, f"a[href='/declarations/{declaration}/controle']"),
        "transmettre": await _present(page, f"a[href='/declarations/{declaration}/transmission']"),
    }
    assert offered == {k: expected[k] for k in offered}, offered
    # « Renvoyer au fournisseur » on each form the approbateur may send back: an open declaration, a form saved
    for form in detail["formulaires"]:
        sends_back = await _present(page, f"a[href='/formulaires/{form['id']}/renvoi']")
        assert sends_back is form["renvoyable"] is (expected["renvoyer"] and form["version"] > 0), form["titre"]
        if not sends_back:
            assert (await page.request.get(f"{world.site.base_url}/formulaires/{form['id']}/renvoi")).status in REFUSED
            hidden.append(("renvoyer", "POST", f"/api/v1/forms/{form['id']}/send-back", SEND_BACK))

    # Each form the role sees: read-only, without « Enregistrer », once it may no longer be saved
    for form in detail["formulaires"]:
        await _goto(world, page, f"/formulaires/{form['id']}")
        saves = await _present(page, "button:has-text('Enregistrer')")
        assert saves is expected["saisir"], (form["titre"], form["lieu"])
        inputs = page.locator("input[data-champ]")
        assert await inputs.count() > 0
        assert (await inputs.first.get_attribute("readonly") is None) is expected["saisir"]
        if not saves:
            assert form["motif_lecture_seule"] in await _text(page)
            if role != "caf":
                assert "ne se modifie plus" in form["motif_lecture_seule"], form["motif_lecture_seule"]
            typed = {c["id"] for s in form["sections"] for c in s["champs"] if not c["calcule"]}
            body = {"version": form["version"], "valeurs": {k: v for k, v in form["valeurs"].items() if k in typed}}
            hidden.append(("saisir", "PUT", f"/api/v1/forms/{form['id']}", body))

    if role == "caf":
        await _goto(world, page, f"/caf/instruction/{declaration}")
        decides = await _present(page, f"form[action='/caf/instruction/{declaration}/valider']")
        refuses = await _present(page, f"form[action='/caf/instruction/{declaration}/refuser']")
        cancels = await _present(page, f"form[action='/caf/instruction/{declaration}/annuler']")
        assert (decides, refuses, cancels) == (expected["decider"], expected["decider"], expected["annuler"])
        if not decides:
            hidden += [("valider", "POST", f"{url}/validate", {}), ("refuser", "POST", f"{url}/refuse", REASON)]
        if not cancels:
            hidden.append(("annuler", "POST", f"{url}/cancel", REASON))
    else:
        # The controls page: « Lancer / Relancer les contrôles » and the justification forms where they run
        await _goto(world, page, f"/declarations/{declaration}/controle")
        runs = await _present(page, "button:has-text('les contrôles')")
        assert runs is expected["controler"]
        results = (await _ok(await http.get(f"{url}/controls", headers=headers)))["controles"]
        flagged = [c["cle"] for c in results if c["a_justifier"]]
        justifies = await _present(page, "form[action*='/justifications/']")
        assert justifies is (expected["justifier"] and bool(flagged)), flagged
        if flagged and not justifies:
            hidden.append(("justifier", "PUT", f"{url}/justifications/{flagged[0]}", JUSTIFICATION))
        # The transmission page: the signature box only for the approbateur of a declaration ready to go
        await _goto(world, page, f"/declarations/{declaration}/transmission")
        signs = await _present(page, "#champ-signature")
        assert signs is expected["transmettre"]
        if not signs:
            assert "Transmettre à la Caf" not in await _text(page)
    if not offered["controler"]:
        hidden.append(("controler", "POST", f"{url}/controls", None))
    if not offered["transmettre"]:
        hidden.append(("transmettre", "POST", f"{url}/transmit", {"signature": True}))

    # Every hidden action is one the API refuses, and refusing it changed nothing
    for action, method, path, body in hidden:
        response = await http.request(method, path, headers=headers, json=body)
        assert response.status_code in REFUSED, (action, response.status_code, response.text)
    assert (await _ok(await http.get(url, headers=headers)))["etat_code"] == state


# --- the actions with no way back ask first ------------------------------------------------------------------------


async def test_cancelling_a_declaration_asks_first_and_nothing_changes_until_confirmed(world):
    page, http, laep = world.pages["caf"], world.platform.client, world.laep
    url, headers = f"/api/v1/declarations/{laep}", world.api["caf"]

    async def ask() -> None:
        await _goto(world, page, f"/caf/instruction/{laep}")
        await page.click("summary:has-text('Annuler la déclaration')")
        await page.fill("#champ-motif_annuler", "Activité fermée avant l'ouverture de la campagne.")
        await page.click(f"form[action='/caf/instruction/{laep}/annuler'] button")
        await page.wait_for_load_state()

    await ask()
    text = await _text(page)
    assert "Annuler la déclaration ?" in text and "LAEP Petits Pas" in text, text
    assert "Activité fermée avant l'ouverture de la campagne." in text
    await world.site.check(page, "confirmation-annulation")
    assert (await _ok(await http.get(url, headers=headers)))["etat_code"] == "a_saisir"
    await page.click("text=Ne rien changer et revenir")
    await page.wait_for_url(f"**/caf/instruction/{laep}")
    assert (await _ok(await http.get(url, headers=headers)))["etat_code"] == "a_saisir"

    await ask()
    await page.click('button:has-text("Confirmer l\'annulation")')
    await page.wait_for_url(f"**/caf/instruction/{laep}?fait=annulee")
    assert "La déclaration est annulée." in await _text(page)
    assert (await _ok(await http.get(url, headers=headers)))["etat_code"] == "annulee"
    # cancelled: nothing is offered any more, and the API refuses it again
    assert not await _present(page, f"form[action='/caf/instruction/{laep}/annuler']")
    assert (await http.post(f"{url}/cancel", headers=headers, json=REASON)).status_code == 409
    world.site.assert_accessible()


async def test_ending_a_grant_asks_first_and_nothing_ends_until_confirmed(world):
    page, catalogue, http = world.pages["approbateur"], world.catalogue, world.platform.client
    laep = catalogue.activities["laep"]["id"]
    listed = f"/administration/habilitations?etat=Actif&role=fdf&activite={laep}"
    await _goto(world, page, listed)
    [action] = [await f.get_attribute("action") for f in await page.locator("form[action$='/fin']").all()]
    grant = action.split("/")[-2]

    async def active() -> bool:
        path = f"/api/v1/partners/{catalogue.partner}/grants"
        lines = await _ok(await http.get(path, headers=catalogue.agent, params={"etat": "Actif"}))
        return any(line["id"] == grant for line in lines)

    await page.click(f"form[action='{action}'] button")
    await page.wait_for_load_state()
    text = await _text(page)
    assert "Mettre fin à l'habilitation ?" in text, text
    assert "Fournisseur de données financières" in text and "LAEP Petits Pas" in text
    await world.site.check(page, "confirmation-fin-habilitation")
    assert await active()
    await page.click('button:has-text("Confirmer la fin de l\'habilitation")')
    await page.wait_for_url("**/administration/habilitations?etat=Actif&fait=fin")
    assert "Il a été mis fin à l'habilitation." in await _text(page)
    assert not await active()
    await _goto(world, page, listed)
    assert not await _present(page, "form[action$='/fin']")  # nothing left to end
    assert (await http.post(f"/api/v1/grants/{grant}/end", headers=catalogue.admin)).status_code == 409
    world.site.assert_accessible()


async def test_sites_are_offered_only_where_a_site_grant_is_accepted(world):
    page, catalogue, http = world.pages["approbateur"], world.catalogue, world.platform.client
    await _goto(world, page, "/administration/habilitations")
    ids = {name: catalogue.activities[name]["id"] for name in ("alsh", "eaje")} | {"rpe": world.rpe["id"]}
    activities = {
        name: await _ok(await http.get(f"/api/v1/activities/{activity}", headers=catalogue.agent))
        for name, activity in ids.items()
    }
    for name, activity in activities.items():
        assert activity["lieux"], name
        offered = [await _present(page, f"#champ-lieu-{site['id']}") for site in activity["lieux"]]
        assert offered == [activity["perimetre_par_lieu"]] * len(activity["lieux"]), name
        assert activity["perimetre_par_lieu"] is (name == "alsh"), name
        # where no site is offered, a grant on one is refused
        if not activity["perimetre_par_lieu"]:
            scope = [{"activite_id": activity["id"], "lieu_id": activity["lieux"][0]["id"]}]
            body = {"utilisateur_id": catalogue.users[KARIM], "role": "fda", "perimetre": scope}
            refused = await http.post("/api/v1/grants", headers=catalogue.admin, json=body)
            assert refused.status_code == 422 and "multi-lieux ALSH, LAEP ou Espace de rencontre" in refused.text


# --- « Renvoyer au fournisseur »: the approbateur's page, then the provider's form open again with the comment ----


async def test_the_approbateur_sends_a_form_back_with_a_comment_the_provider_reads_and_corrects(world):
    page, http, declaration = world.pages["approbateur"], world.platform.client, world.declarations["controlee"]
    url = f"/api/v1/declarations/{declaration}"
    forms = (await _ok(await http.get(url, headers=world.api["approbateur"])))["formulaires"]
    [form] = [f for f in forms if f["type"] == "activite" and f["lieu"] == "École Jules Ferry"]
    await _goto(world, page, f"/declarations/{declaration}")
    await page.click(f"a[href='/formulaires/{form['id']}/renvoi']")
    await page.wait_for_url(f"**/formulaires/{form['id']}/renvoi")
    assert "Renvoyer au fournisseur" in await _text(page) and "École Jules Ferry" in await _text(page)
    await world.site.check(page, "renvoi-fournisseur")

    # an empty comment: the page again, with a French error on the box, and nothing sent back
    await page.click("form[action$='/renvoi'] button[type='submit']")
    await page.wait_for_load_state()
    assert "Expliquez au fournisseur ce qu'il doit corriger" in await _text(page)
    assert await page.get_attribute("#champ-commentaire", "aria-invalid") == "true"
    await world.site.check(page, "renvoi-fournisseur-erreur")
    assert (await _ok(await http.get(url, headers=world.api["approbateur"])))["etat_code"] == "controlee"

    await page.fill("#champ-commentaire", SEND_BACK["commentaire"])
    await page.click("form[action$='/renvoi'] button[type='submit']")
    await page.wait_for_url(f"**/declarations/{declaration}?renvoye=1#formulaires")
    text = await _text(page)
    assert "Formulaire renvoyé à son fournisseur." in text and SEND_BACK["commentaire"] in text
    detail = await _ok(await http.get(url, headers=world.api["approbateur"]))
    assert detail["etat_code"] == "en_cours"  # to control again before it goes
    assert not await _present(page, f"a[href='/declarations/{declaration}/transmission']")

    # the site's provider: the form editable, the comment above it; its save clears the comment
    provider = world.pages["fournisseur_lieu"]
    await _goto(world, provider, f"/formulaires/{form['id']}")
    assert SEND_BACK["commentaire"] in await _text(provider)
    assert await _present(provider, "button:has-text('Enregistrer')")
    shown = await _ok(await http.get(url, headers=world.api["fournisseur_lieu"]))
    [mine] = [f for f in shown["formulaires"] if f["id"] == form["id"]]
    assert mine["etat"] == "À corriger" and mine["modifiable"] and not mine["renvoyable"]
    body = {"version": mine["version"], "valeurs": SITE_A}
    await _ok(await http.put(f"/api/v1/forms/{form['id']}", headers=world.api["fournisseur_lieu"], json=body))
    await _goto(world, provider, f"/formulaires/{form['id']}")
    assert SEND_BACK["commentaire"] not in await _text(provider)
    # saved again, the approbateur may send it back again; its provider never: the page and the API refuse it
    assert (await page.request.get(f"{world.site.base_url}/formulaires/{form['id']}/renvoi")).status == 200
    assert (await provider.request.get(f"{world.site.base_url}/formulaires/{form['id']}/renvoi")).status == 403
    karim = world.api["fournisseur_lieu"]
    sent = await http.post(f"/api/v1/forms/{form['id']}/send-back", headers=karim, json=SEND_BACK)
    assert sent.status_code == 403, sent.text
    world.site.assert_accessible()
