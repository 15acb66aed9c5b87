"""The Caf's pages offer only what the agent may do now (issue 18, point 2), without a browser: an agent holding only
the « lecture » role reads the approbateurs, partners and campaigns but is offered none of the acts — validating
an approbateur, registering a partner, its delegation, conventions and users' accounts, closing a campaign — and the
services refuse each of them (the page's flags come from the rule they check: ``manages_habilitations_of``,
``campaign_admin.manages``); the agent who may is offered them, and the acts with no way back (closing a campaign,
suspending an account) ask for confirmation first, nothing changing until it is given."""

from __future__ import annotations

import asyncio

import sqlalchemy as sa

from tests.integration.caf_pages_helpers import AGENT
from tests.integration.test_declaration_journey import ADMIN, KARIM
from tests.integration.test_web_pages import PASSWORD, _csrf, _sign_in

READER = "100000104"
LUTINS = {"raison_sociale": "Association Les Lutins", "siret": "77566343800007", "type": "association"}


async def _reader(platform) -> None:
    """A Caf 080 agent holding only the « lecture » role, made as the demo makes its agents."""
    from afas_identity.adapters.tables import UserAccount
    from afas_identity.application import users
    from afas_identity.application.demo import OPERATOR
    from afas_identity.domain.passwords import hash_password

    email = "lecteur.100000104@caf-somme.example"
    model = users.CafAgentInput(
        last_name="Lecteur", first_name="Test", email=email, email_confirmation=email, caf_roles=["lecture"]
    )
    await users.create_caf_agent(platform.identity, OPERATOR, "080", model, identifier=READER)
    digest = await asyncio.to_thread(hash_password, PASSWORD)
    async with platform.identity.db.transaction() as session:
        await session.execute(
            sa.update(UserAccount).where(UserAccount.identifier == READER).values(password_hash=digest, status="actif")
        )


async def _pending_approbateur(platform, catalogue) -> str:
    body = {
        "utilisateur_id": catalogue.users[ADMIN],
        "role": "approbateur",
        "perimetre": [{"activite_id": catalogue.activities["laep"]["id"]}],
    }
    response = await platform.client.post("/api/v1/grants", headers=catalogue.admin, json=body)
    assert response.status_code == 201, response.text
    return response.json()[0]["id"]


async def _campaign(platform, catalogue) -> str:
    today = platform.clock.now().date()
    body = {
        "type_activite": "laep",
        "exercice": today.year + 1,
        "type_declaration": "previsionnelle",
        "date_ouverture": today.replace(year=today.year + 1).isoformat(),
        "date_limite": today.replace(year=today.year + 1, month=12, day=31).isoformat(),
    }
    response = await platform.client.post("/api/v1/campaigns", headers=catalogue.agent, json=body)
    assert response.status_code == 202, response.text
    return response.json()["id"]


async def _closed_at(client, catalogue, campaign: str) -> str | None:
    listed = (await client.get("/api/v1/campaigns", headers=catalogue.agent)).json()
    rows = listed["elements"] if isinstance(listed, dict) else listed
    return next(c["cloturee_le"] for c in rows if c["id"] == campaign)


async def test_a_reader_is_offered_none_of_the_acts_and_each_is_refused(platform, catalogue):
    client = platform.client
    grant, campaign = await _pending_approbateur(platform, catalogue), await _campaign(platform, catalogue)
    await _reader(platform)
    amiens, karim = f"/caf/partenaires/{catalogue.partner}", catalogue.users[KARIM]
    acts = {  # page -> the forms it offers an agent who may, and what each posts
        "/caf/approbateurs": {f"/caf/approbateurs/{grant}/valider": {}, f"/caf/approbateurs/{grant}/refuser": {}},
        "/caf/partenaires": {"/caf/partenaires": {**LUTINS, "caf": "080"}},
        amiens: {
            f"{amiens}/delegation": {"gestion_deleguee": "non"},
            f"{amiens}/conventions": {"type": "contrat_service", "date_ouverture": "2026-01-01"},
            f"{amiens}/utilisateurs/{karim}/suspendre": {"motif": "Départ", "confirmation": "oui"},
            f"{amiens}/utilisateurs/{karim}/mot-de-passe": {},
        },
        f"/caf/campagnes/{campaign}": {f"/caf/campagnes/{campaign}/cloture": {"confirmation": "oui"}},
    }
    await _sign_in(client, AGENT)  # habilitations, instruction, paramétrage: every act is offered
    for page, forms in acts.items():
        shown = await client.get(page)
        assert shown.status_code == 200, (page, shown.text)
        for action in forms:
            assert f'action="{action}"' in shown.text, (page, action)

    await _sign_in(client, READER)
    for page, forms in acts.items():
        shown = await client.get(page)
        assert shown.status_code == 200, (page, shown.text)
        csrf = _csrf(shown.text)
        for action, values in forms.items():
            assert f'action="{action}"' not in shown.text, (page, action)
            refused = await client.post(action, data={"csrf": csrf, **values})
            assert refused.status_code == 403, (action, refused.status_code, refused.text[:300])
    assert "seuls les agents habilitations de la Caf valident" in (await client.get("/caf/approbateurs")).text
    # nothing changed
    users = (await client.get(f"/api/v1/partners/{catalogue.partner}/users", headers=catalogue.agent)).json()
    assert next(u["statut"] for u in users if u["id"] == karim) == "actif"
    assert await _closed_at(client, catalogue, campaign) is None


async def test_closing_a_campaign_asks_first_and_is_then_offered_no_more(platform, catalogue):
    client, campaign = platform.client, await _campaign(platform, catalogue)
    url = f"/caf/campagnes/{campaign}"
    await _sign_in(client, AGENT)
    csrf = _csrf((await client.get(url)).text)
    asked = await client.post(f"{url}/cloture", data={"csrf": csrf})
    assert asked.status_code == 200, asked.text
    assert "Clôturer la campagne ?" in asked.text and "Plus aucune déclaration n&#39;y sera attendue" in asked.text
    assert 'name="confirmation" value="oui"' in asked.text and f'href="{url}"' in asked.text
    assert await _closed_at(client, catalogue, campaign) is None
    closed = await client.post(f"{url}/cloture", data={"csrf": csrf, "confirmation": "oui"})
    assert closed.status_code == 303 and closed.headers["location"] == f"{url}?fait=cloturee"
    page = await client.get(closed.headers["location"])
    assert "La campagne est clôturée" in page.text and "Clôturée le" in page.text
    assert f'action="{url}/cloture"' not in page.text
    assert await _closed_at(client, catalogue, campaign) is not None
    again = await client.post(f"{url}/cloture", data={"csrf": csrf})
    assert again.status_code == 409 and "déjà clôturée" in again.text


async def test_suspending_an_account_asks_first_naming_whom_and_why(platform, catalogue):
    client, karim = platform.client, catalogue.users[KARIM]
    amiens = f"/caf/partenaires/{catalogue.partner}"
    await _sign_in(client, AGENT)
    csrf = _csrf((await client.get(amiens)).text)
    action = f"{amiens}/utilisateurs/{karim}/suspendre"
    asked = await client.post(action, data={"csrf": csrf, "motif": "Départ de la structure"})
    assert asked.status_code == 200, asked.text
    assert "Suspendre le compte ?" in asked.text and "Karim" in asked.text and "Départ de la structure" in asked.text
    assert f'href="{amiens}#utilisateurs"' in asked.text

    async def status() -> str:
        users = (await client.get(f"/api/v1/partners/{catalogue.partner}/users", headers=catalogue.agent)).json()
        return next(u["statut"] for u in users if u["id"] == karim)

    assert await status() == "actif"
    done = await client.post(action, data={"csrf": csrf, "motif": "Départ de la structure", "confirmation": "oui"})
    assert done.status_code == 303, done.text
    assert await status() == "suspendu"


async def test_a_reader_sees_the_baremes_but_no_local_rule_form_and_each_is_refused(platform, catalogue, make_settings):
    """The barème page: the agent who sets the Caf's local rules is offered its payment policy and territories; the
    « lecture » agent reads the same values with neither form, and the services refuse both acts."""
    from afas_shared.testing.fixtures import running

    client = platform.client
    await _reader(platform)
    forms = {  # what each local-rule form posts (the EAJE's barème has both: a payment policy and territories)
        "/caf/politique-paiement": {"famille": "eaje_psu", "politique": "caf_92", "motif_politique": "Délibération"},
        "/caf/territoires": {"famille": "eaje_psu", "territoire_code": "NORD", "territoire_nom": "Nord de la Somme"},
    }
    async with running(make_settings("estimation")) as estimation:
        estimation.clock = platform.clock
        await _sign_in(client, AGENT)
        shown = await client.get("/caf/baremes?famille=eaje_psu")
        assert shown.status_code == 200, shown.text
        for action in forms:
            assert f'action="{action}"' in shown.text, action

        await _sign_in(client, READER)
        shown = await client.get("/caf/baremes?famille=eaje_psu")
        assert shown.status_code == 200 and "Taux de prise en charge" in shown.text, shown.text
        csrf = _csrf(shown.text)
        for action, values in forms.items():
            assert f'action="{action}"' not in shown.text, action
            refused = await client.post(action, data={"csrf": csrf, **values})
            assert refused.status_code == 403, (action, refused.status_code, refused.text[:300])
        assert 'name="provenance_titre"' not in shown.text  # nor the national values' form (the Cnaf's)
