"""Administration des profils without a browser: the partner's administrator grants and ends roles through the
pages (state tabs Actif / Historique / Inactif / Non attribué), manages its users and their groups; a declarant
without the AFAS-HABILITER group is refused."""

from __future__ import annotations

import html
import re

from afas_shared.testing.fixtures import eventually  # noqa: F401  (fixtures come from conftest)
from tests.integration.test_web_pages import _csrf, _sign_in

ADMIN, KARIM, SOPHIE = "200000001", "200000002", "200000003"
PAGE = "/administration/habilitations"


def _grant_ids(page: str) -> list[str]:
    return re.findall(r'action="/administration/habilitations/([0-9a-f-]+)/fin"', page)


def _raw_rows(page: str) -> list[str]:
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return body.split("<tr>")[1:]


def _rows(page: str) -> list[str]:
    """The text of each row of the results table."""
    return [re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", row))).strip() for row in _raw_rows(page)]


async def test_the_administrator_grants_a_role_through_the_page_and_ends_it(platform, catalogue):
    client = platform.client
    eaje, alsh = catalogue.activities["eaje"], catalogue.activities["alsh"]
    await _sign_in(client, ADMIN)
    page = await client.get(PAGE)
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert "<h1>Administration des profils</h1>" in text and "Habiliter un utilisateur" in text
    assert 'aria-current="page">Actif</a>' in text
    for label in ("Fournisseur de données d'activité", "Fournisseur de données financières", "Approbateur"):
        assert label in text
    # the partner's activities and their sites are offered as the scope, each box labelled
    assert f'id="champ-activite-{eaje["id"]}"' in page.text and f'for="champ-activite-{eaje["id"]}"' in page.text
    for site in alsh["lieux"]:
        assert f'value="{alsh["id"]}:{site["id"]}"' in page.text and f'for="champ-lieu-{site["id"]}"' in page.text
    assert f'value="{catalogue.users[KARIM]}"' in page.text
    assert _rows(page.text) == ["Aucune habilitation ne correspond à ces critères."]
    csrf = _csrf(page.text)

    forged = await client.post(PAGE, data={"csrf": "faux", "utilisateur_id": catalogue.users[KARIM], "role": "fda"})
    assert forged.status_code == 403
    nothing = await client.post(PAGE, data={"csrf": csrf, "utilisateur_id": catalogue.users[KARIM], "role": "fda"})
    assert nothing.status_code == 422 and 'href="#champ-perimetre"' in nothing.text
    missing = await client.post(PAGE, data={"csrf": csrf, "activite": eaje["id"]})
    assert missing.status_code == 422
    assert 'href="#champ-utilisateur_id"' in missing.text and 'href="#champ-role"' in missing.text
    assert f'value="{eaje["id"]}" checked' in missing.text  # what was ticked stays ticked
    on_site = await client.post(
        PAGE,
        data={
            "csrf": csrf,
            "utilisateur_id": catalogue.users[SOPHIE],
            "role": "fdf",
            "lieu": f"{alsh['id']}:{alsh['lieux'][0]['id']}",
        },
    )
    assert on_site.status_code == 422 and 'href="#champ-perimetre"' in on_site.text  # financial data: whole activity

    granted = await client.post(
        PAGE,
        data={
            "csrf": csrf,
            "utilisateur_id": catalogue.users[KARIM],
            "role": "fda",
            "activite": [eaje["id"], alsh["id"]],
            "lieu": f"{alsh['id']}:{alsh['lieux'][1]['id']}",  # only this site of the ALSH
        },
    )
    assert granted.status_code == 303, granted.text
    assert granted.headers["location"] == f"{PAGE}?etat=Actif&fait=habilitation"
    active = await client.get(granted.headers["location"])
    assert "L&#39;habilitation est enregistrée." in active.text
    rows = _rows(active.text)
    assert len(rows) == 2 and all("Karim Bernard" in r and "Fournisseur de données d'activité" in r for r in rows)
    assert any("ALSH Les Coccinelles École Victor Hugo" in r for r in rows)
    assert any("Multi-accueil Les Lucioles Toute l’activité" in r for r in rows)
    # The hole left on the other site of the ALSH shows under « Non attribué »
    holes = _rows((await client.get(PAGE, params={"etat": "Non attribué", "role": "fda"})).text)
    assert any("ALSH Les Coccinelles École Jules Ferry" in r for r in holes)
    assert not any("Multi-accueil" in r for r in holes)

    [eaje_line] = [_grant_ids(row)[0] for row in _raw_rows(active.text) if "Multi-accueil Les Lucioles" in row]
    # « Mettre fin » asks first: nothing ends until the confirmation is posted
    asked = await client.post(
        f"{PAGE}/{eaje_line}/fin",
        data={"csrf": csrf, "etat": "Actif", "utilisateur": catalogue.users[KARIM], "activite": eaje["id"]},
    )
    shown = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", asked.text)))
    assert asked.status_code == 200 and "Mettre fin à l'habilitation ?" in shown, shown
    assert "Karim Bernard" in shown and "Multi-accueil Les Lucioles" in shown and "Toute l’activité" in shown
    assert 'name="confirmation" value="oui"' in asked.text
    assert len(_rows((await client.get(PAGE, params={"etat": "Actif"})).text)) == 2
    ended = await client.post(f"{PAGE}/{eaje_line}/fin", data={"csrf": csrf, "etat": "Actif", "confirmation": "oui"})
    assert ended.status_code == 303 and ended.headers["location"] == f"{PAGE}?etat=Actif&fait=fin"
    still_active = _rows((await client.get(PAGE, params={"etat": "Actif"})).text)
    assert len(still_active) == 1 and "ALSH Les Coccinelles" in still_active[0]
    history = await client.get(PAGE, params={"etat": "Historique"})
    assert 'aria-current="page">Historique</a>' in history.text
    [row] = _rows(history.text)
    assert "Karim Bernard" in row and "Multi-accueil Les Lucioles" in row and "Historique" in row
    assert _grant_ids(history.text) == []  # nothing left to end
    again = await client.post(f"{PAGE}/{eaje_line}/fin", data={"csrf": csrf, "confirmation": "oui"})
    assert again.status_code == 409 and "déjà terminée" in html.unescape(again.text)

    # The API sees the same
    lines = (
        await client.get(
            f"/api/v1/partners/{catalogue.partner}/grants", headers=catalogue.agent, params={"etat": "Actif"}
        )
    ).json()
    assert [(g["utilisateur"], g["activite"]) for g in lines] == [("Karim Bernard", "ALSH Les Coccinelles")]


async def test_an_approbateur_granted_through_the_page_waits_under_inactif(platform, catalogue):
    client = platform.client
    await _sign_in(client, ADMIN)
    csrf = _csrf((await client.get(PAGE)).text)
    granted = await client.post(
        PAGE,
        data={
            "csrf": csrf,
            "utilisateur_id": catalogue.users[ADMIN],
            "role": "approbateur",
            "activite": catalogue.activities["laep"]["id"],
        },
    )
    assert granted.status_code == 303, granted.text
    [row] = _rows((await client.get(PAGE, params={"etat": "Inactif"})).text)
    assert "Approbateur" in row and "En attente de validation par votre Caf" in row


async def test_the_administrator_manages_users_and_groups_through_the_page(platform, catalogue):
    client = platform.client
    await _sign_in(client, ADMIN)
    page = await client.get("/administration/utilisateurs")
    assert page.status_code == 200, page.text
    assert "Commune d&#39;Amiens" in page.text and "Karim" in page.text and "AFAS-DECLARER" in page.text
    for name in ("nom", "prenom", "email", "email_confirmation", "telephone", "date_ouverture"):
        assert f'<label for="champ-{name}">' in page.text and f'id="champ-{name}"' in page.text
    csrf = _csrf(page.text)
    person = {"nom": "Garnier", "prenom": "Inès", "email": "ines.garnier@amiens.example"}
    mismatch = await client.post(
        "/administration/utilisateurs", data={"csrf": csrf, **person, "email_confirmation": "autre@amiens.example"}
    )
    assert mismatch.status_code == 422 and 'href="#champ-email_confirmation"' in mismatch.text
    assert 'value="Garnier"' in mismatch.text  # the input is kept
    created = await client.post(
        "/administration/utilisateurs", data={"csrf": csrf, **person, "email_confirmation": person["email"]}
    )
    assert created.status_code == 303, created.text
    users = (await client.get(f"/api/v1/partners/{catalogue.partner}/users", headers=catalogue.admin)).json()
    [ines] = [u for u in users if u["nom"] == "Garnier"]
    listing = await client.get(created.headers["location"])
    assert "Inès Garnier" in listing.text and "En attente d&#39;activation" in listing.text

    added = await client.post(
        f"/administration/utilisateurs/{ines['id']}/groupes", data={"csrf": csrf, "groupe": "AFAS-DECLARER"}
    )
    assert added.status_code == 303, added.text
    twice = await client.post(
        f"/administration/utilisateurs/{ines['id']}/groupes", data={"csrf": csrf, "groupe": "AFAS-DECLARER"}
    )
    assert twice.status_code == 409
    backwards = await client.post(
        f"/administration/utilisateurs/{ines['id']}/groupes",
        data={"csrf": csrf, "groupe": "AFAS-DECLARER", "date_debut": "2026-06-01", "date_fin": "2026-05-01"},
    )
    assert backwards.status_code in (409, 422)
    listing = await client.get("/administration/utilisateurs")
    assert f'action="/administration/utilisateurs/{ines["id"]}/groupes/AFAS-DECLARER/retrait"' in listing.text
    removed = await client.post(
        f"/administration/utilisateurs/{ines['id']}/groupes/AFAS-DECLARER/retrait", data={"csrf": csrf}
    )
    assert removed.status_code == 303
    users = (await client.get(f"/api/v1/partners/{catalogue.partner}/users", headers=catalogue.admin)).json()
    [ines] = [u for u in users if u["nom"] == "Garnier"]
    assert all(g["date_fin"] for g in ines["groupes"])


async def test_a_declarant_without_the_administration_group_is_refused(platform, catalogue):
    client = platform.client
    await _sign_in(client, KARIM)
    csrf = _csrf((await client.get("/accueil")).text)
    for url in (PAGE, f"{PAGE}?etat=Historique", "/administration/utilisateurs"):
        refused = await client.get(url)
        assert refused.status_code == 403 and "AFAS-HABILITER" in refused.text, url
    posted = await client.post(
        PAGE,
        data={
            "csrf": csrf,
            "utilisateur_id": catalogue.users[KARIM],
            "role": "fda",
            "activite": catalogue.activities["eaje"]["id"],
        },
    )
    assert posted.status_code == 403
    assert (await client.post("/administration/utilisateurs", data={"csrf": csrf, "nom": "X"})).status_code == 403
    # and the menu does not offer the page
    assert 'href="/administration/habilitations"' not in (await client.get("/accueil")).text
