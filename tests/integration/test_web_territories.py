"""Issue 13, bonus territoire by territory: a Caf's paramétrage agent defines a territory and its amount per new place
on the barème page (French labels, errors linked to the input), assigns an EAJE activity to it, and the activity's
estimate then uses that amount, naming the Caf and the territory."""

from __future__ import annotations

import re

from afas_shared.testing.fixtures import eventually  # noqa: F401  (fixtures come from conftest)
from tests.integration.test_declaration_journey import ADMIN, BUDGET, _eaje_declaration, _estimation, _fill
from tests.integration.test_web_caf_pages import AGENT, _text
from tests.integration.test_web_pages import _csrf, _sign_in

TERRITORY = {
    "territoire_code": "CTG-AMIENS",
    "territoire_nom": "Amiens Métropole",
    "montant_place_nouvelle": "2 800",
    "territoire_depuis": "2026-01-01",
    "territoire_provenance_titre": "Délibération du conseil d'administration sur le bonus territoire",
    "territoire_provenance_emetteur": "Caf de la Somme",
    "territoire_provenance_date": "2025-12-10",
    "territoire_provenance_reference": "Délibération n° 2025-31",
}


async def test_a_caf_paramétrage_agent_sets_a_territory_and_assigns_an_activity_through_the_page(
    platform, catalogue, make_settings
):
    client = platform.client
    declaration, headers = await _eaje_declaration(platform, catalogue)
    eaje = catalogue.activities["eaje"]["id"]
    async with _estimation(make_settings, platform):
        await _fill(platform, declaration, headers, budget={**BUDGET, "bonus_territoire_places_nouvelles": 4})

        async def known() -> bool:
            found = await client.get("/api/v1/cafs/080/territoires", headers=catalogue.agent)
            return found.status_code == 200 and any(a["activite_id"] == eaje for a in found.json()["activites"])

        await eventually(known, timeout=20)
        url = f"/api/v1/declarations/{declaration}/estimate"
        before = (await client.get(url, headers=headers[ADMIN])).json()
        assert before["disponible"] is False and "n'a pas encore fixé" in before["message"]

        await _sign_in(client, AGENT)
        page = await client.get("/caf/baremes?famille=eaje_psu")
        shown = _text(page.text)
        assert page.status_code == 200 and "Bonus territoire : territoires de la Caf de la Somme" in shown
        assert "Aucun territoire défini" in shown and "Multi-accueil Les Lucioles" in shown
        assert "Définir un territoire et son montant par place nouvelle" in shown
        for code in ("bonus_territoire", "eaje_psu", eaje):
            assert code not in shown, code
        csrf = _csrf(page.text)
        outside = await client.post(
            "/caf/territoires", data={"csrf": csrf, **TERRITORY, "montant_place_nouvelle": "4000"}
        )
        assert outside.status_code == 422, _text(outside.text)[:3000]
        assert 'href="#champ-montant_place_nouvelle"' in outside.text, _text(outside.text)[:3000]
        assert "hors de la fourchette nationale" in _text(outside.text) and "Amiens Métropole" in outside.text
        defined = await client.post("/caf/territoires", data={"csrf": csrf, **TERRITORY})
        assert defined.status_code == 303, defined.text
        assigned = await client.post(
            "/caf/territoires/affectation", data={"csrf": csrf, "activite_id": eaje, "territoire": "CTG-AMIENS"}
        )
        assert assigned.status_code == 303, assigned.text
        shown = _text((await client.get(assigned.headers["location"])).text)
        assert "Activité affectée" in shown and "2 800,00 €" in shown and "Délibération n° 2025-31" in shown
        table = shown[shown.index("Activités EAJE de la Caf") :]
        assert "Multi-accueil Les Lucioles Amiens Métropole" in table

        async def estimated():
            found = (await client.get(url, headers=headers[ADMIN])).json()
            return found if found.get("disponible") else None

        after = await eventually(estimated, timeout=20)
    [step] = [s for s in after["etapes"] if s["libelle"] == "Bonus territoire, places nouvelles"]
    assert step["valeur"] == "11200"  # 4 new places × 2 800 €
    assert "fixé par la Caf de la Somme pour le territoire « Amiens Métropole »" in step["formule"]
    assert re.search(r"Délibération n° 2025-31", str(after["parametres"]))
