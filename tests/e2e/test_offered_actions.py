"""Every page offers only what its user may do now (issue 18, point 2), in Debian's chromium: for each role — the
validated approbateur, the financial provider granted the whole activity, the activity provider granted one site,
the Caf's agent — and each state of a declaration — en cours, contrôlée, transmise, validée, refusée — the actions
the page hides are exactly those the API refuses, and the API is asked each of them to prove it.

One platform for the module: five multi-site ALSH activities, one declaration in each state, made through the API
before the first test; each role signs in once. The actions with no way back (cancelling a declaration, ending a
grant) ask for confirmation on a page of their own; the site checkboxes are offered only where a site grant is
accepted."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_asyncio

from afas_declaration.gateway.web.pages import COOKIE
from afas_shared.settings import CommonSettings
from afas_shared.testing.fixtures import eventually, settings_factory
from tests.e2e.conftest import browsing, serving
from tests.e2e.test_browser_journeys import AGENT
from tests.e2e.test_seed_001_story import BUDGET, SITE_A, SITE_B
from tests.integration.conftest import demo_catalogue, started_platform
from tests.integration.test_declaration_journey import ADMIN, KARIM, SOPHIE

pytestmark = pytest.mark.asyncio(loop_scope="module")

STATES = ("en_cours", "controlee", "transmise", "validee", "refusee")
OPEN = {"en_cours", "controlee", "refusee"}
ROLES = ("approbateur", "fournisseur", "fournisseur_lieu", "caf")
WHO = {"approbateur": ADMIN, "fournisseur": SOPHIE, "fournisseur_lieu": KARIM, "caf": AGENT}
JUSTIFICATION = {"texte": "Sorties du mercredi autorisées par la PMI, retour tardif.", "montant": "100"}
REASON = {"motif": "Les heures du mercredi dépassent le projet éducatif."}
REFUSED = (403, 409)


@dataclass
class World:
    platform: Any
    site: Any
    catalogue: Any
    api: dict[str, dict[str, str]]  # role -> API headers
    pages: dict[str, Any]  # role -> a signed-in browser page
    declarations: dict[str, str] = field(default_factory=dict)  # state -> declaration id
    laep: str = ""  # a declaration to cancel
    rpe: dict = field(default_factory=dict)  # a multi-site activity of a family without site grants


def _alsh(index: int) -> dict[str, Any]:
    return {
        "type": "alsh",
        "nature": "periscolaire",
        "nom": f"ALSH Les Mésanges {index}",
        "mode_lieux": "multi_lieux_antennes",
        "lieux": ["École Jules Ferry", "École Victor Hugo"],
        "ideq": f"ALSH09{index}",
    }


async def _ok(response, *expected: int) -> Any:
    assert response.status_code in (expected or (200,)), f"{response.request.url}: {response.text}"
    return response.json()


async def _build(platform, catalogue) -> World:
    http, agent, admin = platform.client, catalogue.agent, catalogue.admin
    alsh = [catalogue.activities["alsh"]]
    for index in range(1, len(STATES)):
        body = {"partenaire_id": catalogue.partner, "date_ouverture": "2024-01-01", **_alsh(index)}
        alsh.append(await _ok(await http.post("/api/v1/activities", headers=agent, json=body), 201))
    rpe = {
        "partenaire_id": catalogue.partner,
        "date_ouverture": "2024-01-01",
        "type": "rpe",
        "nature": "general",
        "nom": "RPE Les Lutins",
        "mode_lieux": "multi_lieux_itinerant",
        "lieux": ["Mairie annexe", "Salle des fêtes"],
        "ideq": "RPE0901",
    }
    rpe_activity = await _ok(await http.post("/api/v1/activities", headers=agent, json=rpe), 201)

    async def copied() -> bool:
        from afas_declaration.adapters.tables import ActivityCopy

        async with platform.gateway.db.sessions() as session:
            return len((await session.execute(ActivityCopy.__table__.select())).all()) >= len(alsh) + 3

    await eventually(copied, timeout=15)
    for family in ("alsh", "laep"):
        campaign = {
            "type_activite": family,
            "exercice": 2026,
            "type_declaration": "previsionnelle",
            "date_ouverture": "2026-03-02",
            "date_limite": "2026-04-15",
        }
        await _ok(await http.post("/api/v1/campaigns", headers=agent, json=campaign), 202)

    # The approbateur (validated by the Caf), the financial provider on every ALSH, the activity provider on one site
    def scope(site: int | None = None) -> list[dict]:
        return [{"activite_id": a["id"], "lieu_id": a["lieux"][site]["id"] if site is not None else None} for a in alsh]

    laep = catalogue.activities["laep"]
    for who, role, perimeter in (
        (ADMIN, "approbateur", scope()),
        (SOPHIE, "fdf", [*scope(), {"activite_id": laep["id"]}]),
        (KARIM, "fda", scope(0)),
    ):
        body = {"utilisateur_id": catalogue.users[who], "role": role, "perimetre": perimeter}
        lines = await _ok(await http.post("/api/v1/grants", headers=admin, json=body), 201)
        if role == "approbateur":
            for line in lines:
                await _ok(await http.post(f"/api/v1/grants/{line['id']}/validate", headers=agent))
    api = {role: await platform.login(who) for role, who in WHO.items()}

    async def declarations() -> dict[str, str] | None:
        rows = (await http.get("/api/v1/declarations", headers=api["fournisseur_lieu"])).json()["elements"]
        laep_rows = (await http.get("/api/v1/declarations?type_activite=laep", headers=agent)).json()["elements"]
        ready = len(rows) == len(alsh) and laep_rows and await _approbateur_acts(http, api, len(alsh))
        return {r["activite_id"]: r["id"] for r in rows + laep_rows} if ready else None

    by_activity = await eventually(declarations, timeout=20)
    world = World(platform, None, catalogue, api, {}, laep=by_activity[laep["id"]], rpe=rpe_activity)
    for state, activity in zip(STATES, alsh, strict=True):
        world.declarations[state] = by_activity[activity["id"]]
        await _bring_to(http, api, by_activity[activity["id"]], state)
    return world


async def _approbateur_acts(http, api, count: int) -> bool:
    rows = (await http.get("/api/v1/declarations", headers=api["approbateur"])).json()["elements"]
    return len(rows) >= count and all(any(a["action"] == "saisir_financier" for a in r["actions"]) for r in rows)


async def _bring_to(http, api, declaration: str, state: str) -> None:
    """The declaration in ``state``, through the API as its users and the Caf would bring it there."""
    url, approbateur = f"/api/v1/declarations/{declaration}", api["approbateur"]
    forms = (await http.get(url, headers=approbateur)).json()["formulaires"]
    values = {("activite", "École Jules Ferry"): SITE_A, ("activite", "École Victor Hugo"): SITE_B}
    for form in forms if state != "en_cours" else forms[:1]:
        body = {"version": form["version"], "valeurs": values.get((form["type"], form["lieu"]), BUDGET)}
        await _ok(await http.put(f"/api/v1/forms/{form['id']}", headers=approbateur, json=body))
    if state == "en_cours":
        return
    controls = await _ok(await http.post(f"{url}/controls", headers=approbateur))
    for key in [c["cle"] for c in controls["controles"] if c["a_justifier"]]:
        await _ok(await http.put(f"{url}/justifications/{key}", headers=approbateur, json=JUSTIFICATION))
    if state == "controlee":
        return
    await _ok(await http.post(f"{url}/transmit", headers=approbateur, json={"signature": True}), 201)
    if state == "validee":
        await _ok(await http.post(f"{url}/validate", headers=api["caf"], json={}))
    elif state == "refusee":
        await _ok(await http.post(f"{url}/refuse", headers=api["caf"], json=REASON))


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
