"""The controls page as the approbateur reads it (issue 18, point 7): the anomalies grouped by form and site, a
« Corriger » link to each field on its form's page, and the empty required fields of a form in one line."""

from __future__ import annotations

import html
import re

from tests.integration.test_declaration_journey import ACTIVITY, ADMIN, BUDGET, _eaje_declaration, _fill
from tests.integration.test_web_pages import _csrf, _sign_in


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


async def test_the_controls_are_grouped_by_form_with_a_link_to_each_field_to_correct(platform, catalogue):
    declaration, headers = await _eaje_declaration(platform, catalogue)
    # Two required activity fields and three required budget lines left empty
    activity = {k: v for k, v in ACTIVITY.items() if k not in ("places", "heures_facturees")}
    budget = {k: v for k, v in BUDGET.items() if k not in ("charges_60", "charges_61", "charges_62")}
    await _fill(platform, declaration, headers, activity, budget)
    forms = {
        f["type"]: f["id"]
        for f in (await platform.client.get(f"/api/v1/declarations/{declaration}", headers=headers[ADMIN])).json()[
            "formulaires"
        ]
    }
    client = platform.client
    await _sign_in(client, ADMIN)
    page = await client.get(f"/declarations/{declaration}/controle")
    ran = await client.post(f"/declarations/{declaration}/controle", data={"csrf": _csrf(page.text)})
    assert ran.status_code == 200, ran.text
    groups = re.findall(r'<th scope="rowgroup" colspan="6">([^<]+)</th>', ran.text)
    assert groups[:2] == ["Données d&#39;activité", "Budget prévisionnel"], groups
    text = _text(ran.text)
    # One line per form for its empty required fields, each field linked on its form's page
    assert text.count("champs obligatoires ne sont pas remplis") == 2, text
    assert "2 champs obligatoires ne sont pas remplis." in text and "3 champs obligatoires" in text
    links = dict(re.findall(r'<a href="(/formulaires/[^"]+)">Corriger « ([^<]+) »</a>', html.unescape(ran.text)))
    assert links[f"/formulaires/{forms['activite']}#champ-places"] == "Nombre de places agréées"
    assert links[f"/formulaires/{forms['activite']}#champ-heures_facturees"] == "Heures facturées aux familles"
    assert links[f"/formulaires/{forms['financier']}#champ-charges_60"] == "60 - Achats"
    # The field a link leads to is on that page, under that id
    form_page = await client.get(f"/formulaires/{forms['activite']}")
    assert 'id="champ-places"' in form_page.text
    # The sentence before transmission names « Champs obligatoires » once per form, with how many
    assert "« Champs obligatoires » (données d'activité, 2 fois)" in text
    assert "« Champs obligatoires » (données financières, 3 fois)" in text
