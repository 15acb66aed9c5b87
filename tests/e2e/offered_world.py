"""The world the offered-actions browser test starts from (``test_offered_actions.py``): five multi-site ALSH
activities of the demo partner, one declaration in each state, made through the API as its users and the Caf would
bring it there; the approbateur validated by the Caf, the financial provider on every ALSH, the activity provider on
one site."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from afas_shared.testing.fixtures import eventually
from tests.e2e.test_browser_journeys import AGENT
from tests.e2e.test_seed_001_story import BUDGET, SITE_A, SITE_B
from tests.integration.test_declaration_journey import ADMIN, KARIM, SOPHIE

STATES = ("en_cours", "controlee", "transmise", "validee", "refusee")
WHO = {"approbateur": ADMIN, "fournisseur": SOPHIE, "fournisseur_lieu": KARIM, "caf": AGENT}
JUSTIFICATION = {"texte": "Sorties du mercredi autorisées par la PMI, retour tardif.", "montant": "100"}
REASON = {"motif": "Les heures du mercredi dépassent le projet éducatif."}


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
