"""The estimation part of the public API through the gateway: a national barème value is changed by the Cnaf only,
with a structured provenance (a bad one is a 422 naming the field); a Caf's payment policy is chosen by that Caf's
paramétrage agents only; what was paid before the platform is recorded by the activity's Caf only; the operator
creates the Cnaf's agents under the national code 000."""

from __future__ import annotations

import re
import uuid
from contextlib import asynccontextmanager

from afas_shared.testing.fixtures import eventually  # noqa: F401  (fixtures come from conftest)
from tests.integration.conftest import DEMO_PASSWORD, OPERATOR
from tests.integration.test_declaration_journey import ADMIN, KARIM, _eaje_declaration, _estimation, _fill
from tests.integration.test_web_pages import login_csrf

AGENT, CNAF = "100000001", "100000009"
PROVENANCE = {
    "titre": "Lettre circulaire relative aux lieux d'accueil enfants-parents",
    "emetteur": "Cnaf",
    "date": "2026-01-05",
    "reference": "Lettre circulaire n° 2026-001",
}
CHANGE = {"valeur": "101,25", "applicable_depuis": "2026-01-01", "provenance": PROVENANCE, "motif": "Revalorisation"}
URL = "/api/v1/baremes/laep/parametres/prix_plafond_horaire"


@asynccontextmanager
async def _eaje_known_to_estimation(platform, catalogue, make_settings):
    """Estimation running, the EAJE's declaration filled, its activity known to estimation: (declaration, headers)."""
    async with _estimation(make_settings, platform) as estimation:
        declaration, headers = await _eaje_declaration(platform, catalogue)
        await _fill(platform, declaration, headers)

        async def estimation_knows_the_activity() -> bool:
            from afas_estimation.adapters.tables import DeclarationFigures

            async with estimation.db.sessions() as session:
                return await session.get(DeclarationFigures, uuid.UUID(declaration)) is not None

        await eventually(estimation_knows_the_activity, timeout=15)
        yield declaration, headers


async def _instruction_page(client, declaration: str):
    """The Caf agent signed in through the login page, on the declaration's instruction page: (page, its CSRF token)."""
    client.cookies.clear()
    signed = await client.post(
        "/connexion", data={"identifiant": AGENT, "mot_de_passe": DEMO_PASSWORD, "csrf": await login_csrf(client)}
    )
    assert signed.status_code == 303
    page = await client.get(f"/caf/instruction/{declaration}")
    assert page.status_code == 200, page.text
    return page, re.search(r'name="csrf-token" content="([0-9a-f]+)"', page.text).group(1)


async def _agent(platform, caf: str, roles: list[str], name: str) -> dict[str, str]:
    """A new agent of ``caf``, created by the operator, activated through its link, signed in."""
    email = f"{name.lower()}@caf-{caf}.example"
    person = {"nom": name, "prenom": "Agent", "email": email, "email_confirmation": email, "roles_caf": roles}
    created = await platform.client.post(f"/api/v1/cafs/{caf}/agents", headers=OPERATOR, json=person)
    assert created.status_code == 201, created.text
    token = await platform.mailed_link("activation_requested", created.json()["id"])
    password = "Tournesol-Vert-2026!"
    activated = await platform.client.post(
        "/api/v1/auth/activation", json={"jeton": token, "mot_de_passe": password, "confirmation": password}
    )
    assert activated.status_code in (200, 204), activated.text
    return await platform.login(created.json()["identifiant"], password)


def _loc(response) -> list[list[str]]:
    return [e["loc"] for e in response.json()["detail"]]


async def test_only_the_cnaf_changes_a_national_value_with_a_structured_provenance(platform, make_settings):
    client = platform.client
    cnaf, somme, partner = await platform.login(CNAF), await platform.login(AGENT), await platform.login(ADMIN)
    async with _estimation(make_settings, platform):
        for headers in (somme, partner):
            refused = await client.put(URL, headers=headers, json=CHANGE)
            assert refused.status_code == 403, refused.text
            assert "Cnaf" in refused.json()["detail"]
        # a free text, or a provenance without its date or reference, is refused naming the field
        for provenance, loc in (
            ("Lettre circulaire Cnaf 2026", ["body", "provenance"]),
            ({**PROVENANCE, "date": "05/01/2026"}, ["body", "provenance", "date"]),
            ({**PROVENANCE, "emetteur": ""}, ["body", "provenance", "emetteur"]),
            ({k: v for k, v in PROVENANCE.items() if k != "titre"}, ["body", "provenance", "titre"]),
            ({**PROVENANCE, "reference": " "}, ["body", "provenance"]),
        ):
            bad = await client.put(URL, headers=cnaf, json={**CHANGE, "provenance": provenance})
            assert bad.status_code == 422 and loc in _loc(bad), (provenance, bad.text)
        # estimation refuses the value or its date naming the API's field, as is (no map of names on the way)
        for field, value in (("valeur", "-1"), ("valeur", "beaucoup"), ("applicable_depuis", "1990-01-01")):
            refused_value = await client.put(URL, headers=cnaf, json={**CHANGE, field: value})
            assert refused_value.status_code == 422, refused_value.text
            assert _loc(refused_value) == [["body", field]], refused_value.text
        listed = (await client.get("/api/v1/baremes/laep", headers=somme)).json()
        assert listed["historique"] == []

        # an address instead of a reference is a provenance too
        address = {k: v for k, v in PROVENANCE.items() if k != "reference"} | {"adresse": "https://www.caf.fr/lc"}
        changed = await client.put(URL, headers=cnaf, json={**CHANGE, "provenance": address})
        assert changed.status_code == 200, changed.text
        change = changed.json()["changement"]
        assert change["caf"] == "000" and change["provenance_detail"]["emetteur"] == "Cnaf"
        assert change["provenance_detail"]["reference"] == "https://www.caf.fr/lc"
        shown = (await client.get("/api/v1/baremes/laep", headers=somme)).json()
        assert shown["historique"][0]["provenance_detail"]["titre"] == PROVENANCE["titre"]


async def test_the_operator_creates_a_cnaf_agent_and_the_national_role_stays_at_the_cnaf(platform):
    email = "national@cnaf.example"
    person = {"nom": "Roux", "prenom": "Inès", "email": email, "email_confirmation": email}
    created = await platform.client.post(
        "/api/v1/cafs/000/agents", headers=OPERATOR, json={**person, "roles_caf": ["parametrage_national"]}
    )
    assert created.status_code == 201, created.text
    assert created.json()["caf"] == "000" and created.json()["roles_caf"] == ["parametrage_national"]
    elsewhere = await platform.client.post(
        "/api/v1/cafs/080/agents",
        headers=OPERATOR,
        json={**person, "email": "n@caf.example", "email_confirmation": "n@caf.example"}
        | {"roles_caf": ["parametrage_national"]},
    )
    assert elsewhere.status_code == 422 and ["body", "roles_caf"] in _loc(elsewhere), elsewhere.text
    unknown = await platform.client.post(
        "/api/v1/cafs/020/agents", headers=OPERATOR, json={**person, "roles_caf": ["instruction"]}
    )
    assert unknown.status_code == 422 and ["body", "caf"] in _loc(unknown), unknown.text


async def test_a_caf_chooses_its_own_payment_policy_only(platform, make_settings):
    client = platform.client
    somme, partner, cnaf = await platform.login(AGENT), await platform.login(ADMIN), await platform.login(CNAF)
    nord = await _agent(platform, "059", ["parametrage"], "Nord")
    url = "/api/v1/cafs/080/politique-paiement"
    async with _estimation(make_settings, platform):
        before = (await client.get(url, headers=somme)).json()
        assert before["id"] == "acomptes_35_35"
        assert {p["id"] for p in before["politiques_possibles"]} >= {"acomptes_35_35", "caf_92"}
        for headers in (nord, partner, cnaf):
            refused = await client.put(url, headers=headers, json={"politique": "caf_92"})
            assert refused.status_code == 403, refused.text
        unknown = await client.put(url, headers=somme, json={"politique": "tout_de_suite"})
        assert unknown.status_code == 422 and ["body", "politique"] in _loc(unknown), unknown.text
        assert (await client.put(url, headers=somme, json={"politique": "Caf 92"})).status_code == 422
        chosen = await client.put(url, headers=somme, json={"politique": "caf_92", "motif": "Délibération du CA"})
        assert chosen.status_code == 200 and chosen.json()["modifie"] is True, chosen.text
        assert (await client.get(url, headers=partner)).json()["id"] == "caf_92"
        assert (await client.get("/api/v1/cafs/059/politique-paiement", headers=nord)).json()["id"] != "caf_92"


async def test_the_activitys_caf_records_what_was_paid_before_the_platform(platform, catalogue, make_settings):
    client = platform.client
    eaje = catalogue.activities["eaje"]["id"]
    url = f"/api/v1/activities/{eaje}/versements-anterieurs"
    body = {"exercice": 2025, "acomptes": "28000,00", "solde": "0"}
    paris = await _agent(platform, "075", ["instruction", "parametrage"], "Paris")
    async with _eaje_known_to_estimation(platform, catalogue, make_settings) as (declaration, headers):
        for who in (paris, headers[ADMIN], headers[KARIM]):
            refused = await client.post(url, headers=who, json=body)
            assert refused.status_code == 403, refused.text
        bad = await client.post(url, headers=catalogue.agent, json={**body, "acomptes": "beaucoup"})
        assert bad.status_code == 422 and ["body", "acomptes"] in _loc(bad), bad.text
        early = await client.post(url, headers=catalogue.agent, json={**body, "exercice": 1999})
        assert early.status_code == 422 and ["body", "exercice"] in _loc(early), early.text
        recorded = await client.post(url, headers=catalogue.agent, json=body)
        assert recorded.status_code == 201, recorded.text
        assert recorded.json()["acomptes"] == "28000.00" and recorded.json()["exercice"] == 2025
        again = await client.post(url, headers=catalogue.agent, json=body)
        assert again.status_code == 409, again.text

        # the same from the instruction page, for another exercice
        page, csrf = await _instruction_page(client, declaration)
        assert "Versements faits avant la plateforme" in page.text
        form = f"/caf/declarations/{declaration}/versements-anterieurs"
        fields = {"csrf": csrf, "exercice_anterieur": "2024", "acomptes_anterieurs": "15 000,50", "solde_anterieur": ""}
        bad = await client.post(form, data={**fields, "acomptes_anterieurs": "beaucoup"})
        assert bad.status_code == 422 and "pas un montant" in bad.text
        done = await client.post(form, data=fields)
        assert done.status_code == 303 and done.headers["location"].endswith("?fait=versements"), done.text
        assert (
            "versements antérieurs à la plateforme sont enregistrés"
            in (await client.get(done.headers["location"])).text
        )
        assert (await client.post(form, data=fields)).status_code == 409


async def test_the_activitys_caf_records_an_actual_validated_before_the_platform(platform, catalogue, make_settings):
    client = platform.client
    eaje = catalogue.activities["eaje"]["id"]
    url = f"/api/v1/activities/{eaje}/reels-anterieurs"
    body = {"exercice": 2024, "droit_reel": "40 852,00", "droit_previsionnel": "40000"}
    paris = await _agent(platform, "075", ["instruction", "parametrage"], "Paris")
    async with _eaje_known_to_estimation(platform, catalogue, make_settings) as (declaration, headers):
        for who in (paris, headers[ADMIN], headers[KARIM]):  # another Caf's agent, the partner's users
            refused = await client.post(url, headers=who, json=body)
            assert refused.status_code == 403, refused.text
        bad = await client.post(url, headers=catalogue.agent, json={**body, "droit_reel": "beaucoup"})
        assert bad.status_code == 422 and "pas un montant" in bad.text, bad.text
        missing = await client.post(url, headers=catalogue.agent, json={"exercice": 2024})
        assert missing.status_code == 422 and ["body", "droit_reel"] in _loc(missing), missing.text
        recorded = await client.post(url, headers=catalogue.agent, json=body)
        assert recorded.status_code == 201, recorded.text
        assert recorded.json()["droit_reel"] == "40852.00" and recorded.json()["droit_previsionnel"] == "40000.00"
        again = await client.post(url, headers=catalogue.agent, json=body)
        assert again.status_code == 409 and "déjà enregistré" in again.text, again.text

        # the same from the instruction page, for another exercice
        page, csrf = await _instruction_page(client, declaration)
        assert "Droit réel d'un exercice validé avant la plateforme" in page.text
        form = f"/caf/declarations/{declaration}/reels-anterieurs"
        fields = {"csrf": csrf, "exercice_reel_anterieur": "2025", "droit_reel_anterieur": "38 000,50"}
        bad = await client.post(form, data={**fields, "droit_reel_anterieur": ""})
        assert bad.status_code == 422 and "Indiquez le droit réel" in bad.text
        done = await client.post(form, data=fields)
        assert done.status_code == 303 and done.headers["location"].endswith("?fait=reels"), done.text
        shown = await client.get(done.headers["location"])
        assert "droit réel antérieur à la plateforme est enregistré" in shown.text
        assert (await client.post(form, data=fields)).status_code == 409
