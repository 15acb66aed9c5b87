"""The partner pages without a browser: cookie session, CSRF, forms saved without JavaScript, controls,
transmission and the receipt — the same use cases as the API, in French HTML."""

from __future__ import annotations

import re

from afas_shared.testing.fixtures import eventually
from tests.integration.test_declaration_journey import ACTIVITY, ADMIN, BUDGET, KARIM, SOPHIE, _eaje_declaration

PASSWORD = "Demo-Afas-2026!"


def _csrf(html: str) -> str:
    return re.search(r'name="csrf-token" content="([0-9a-f]+)"', html).group(1)


async def login_csrf(client) -> str:
    """The login form's CSRF token (its cookie is now in the client), as a browser gets it by showing the page."""
    page = await client.get("/connexion")
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)


async def _sign_in(client, identifier: str):
    client.cookies.clear()
    response = await client.post(
        "/connexion",
        data={
            "identifiant": identifier,
            "mot_de_passe": PASSWORD,
            "suite": "/accueil",
            "csrf": await login_csrf(client),
        },
    )
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/accueil"
    home = await client.get("/accueil")
    assert home.status_code == 200
    return home.text


async def test_login_page_warns_and_refuses_wrong_passwords_in_french(platform):
    page = await platform.client.get("/connexion")
    assert page.status_code == 200 and "loi « Godfrain »" in page.text
    csrf = await login_csrf(platform.client)
    wrong = await platform.client.post(
        "/connexion", data={"identifiant": KARIM, "mot_de_passe": "mauvais", "csrf": csrf}
    )
    assert wrong.status_code == 401 and "erreur à corriger" in wrong.text
    assert (await platform.client.get("/accueil")).status_code == 303  # no session: back to the login page
    assert (await platform.client.get("/connexion?suite=//ailleurs.example")).text.count("//ailleurs") == 0


async def test_a_provider_fills_without_javascript_and_the_approbateur_transmits(platform, catalogue):
    declaration, _ = await _eaje_declaration(platform, catalogue)
    client = platform.client
    home = await _sign_in(client, KARIM)
    assert "Vous avez 1 déclaration à saisir" in home
    # A mistyped or malformed address gives a French page of the site with a way back; the API keeps its JSON
    missing, malformed = await client.get("/nexiste-pas"), await client.get("/formulaires/abc")
    assert missing.status_code == 404 and "Page introuvable" in missing.text and 'href="/accueil"' in missing.text
    assert malformed.status_code == 422 and "text/html" in malformed.headers["content-type"]
    assert "L&#39;adresse demandée n&#39;est pas valide" in malformed.text and "detail" not in malformed.text
    assert (await client.get("/api/v1/nexiste-pas")).json() == {"detail": "Not Found"}
    assert (await client.get("/api/v1/forms/abc")).headers["content-type"] == "application/json"
    listing = await client.get("/declarations")
    assert "Multi-accueil Les Lucioles" in listing.text and "Saisir les données d&#39;activité" in listing.text
    # Labels, not codes: the nature column and the filters' choices; the nature filter matches a typed label too
    assert "<td>Multi-accueil</td>" in listing.text and ">EAJE - PSU</option>" in listing.text
    assert ">ALSH périscolaire</option>" in listing.text and ">eaje_psu<" not in listing.text
    by_label = await client.get("/declarations?nature=multi accueil")
    assert "Multi-accueil Les Lucioles" in by_label.text and 'value="multi_accueil" selected' in by_label.text
    other = await client.get("/declarations?nature=périscolaire")
    assert "Multi-accueil Les Lucioles" not in other.text and "Aucune déclaration ne correspond" in other.text
    detail = await client.get(f"/declarations/{declaration}")
    [form_id] = re.findall(r'href="/formulaires/([0-9a-f-]+)"', detail.text)
    page = await client.get(f"/formulaires/{form_id}")
    assert page.status_code == 200 and 'data-autosave="/api/v1/forms/' in page.text
    # Nothing typed yet: the computed figures are « — », not a declared « 0 »
    assert re.search(r'<output data-calcule="heures_offertes" data-entrees="[^"]+"[^>]*>—</output>', page.text)
    csrf = _csrf(page.text)
    forged = await client.post(f"/formulaires/{form_id}", data={"csrf": "faux", "version": "0", "places": "40"})
    assert forged.status_code == 403
    # An API write with only the cookie needs the page's CSRF token too
    assert (await client.put(f"/api/v1/forms/{form_id}", json={"version": 0, "valeurs": {}})).status_code == 403
    invalid = await client.post(f"/formulaires/{form_id}", data={"csrf": csrf, "version": "0", "places": "-3"})
    assert invalid.status_code == 422 and 'href="#champ-places"' in invalid.text
    assert "Non enregistré : corrigez les champs signalés." in invalid.text and "Enregistré à" not in invalid.text
    values = {k: ("oui" if v is True else str(v)) for k, v in ACTIVITY.items()}
    saved = await client.post(f"/formulaires/{form_id}", data={"csrf": csrf, "version": "0", **values})
    assert saved.status_code == 200 and "Enregistré à" in saved.text, saved.text
    assert "96\u00a0800" in saved.text  # heures offertes computed, French formatting

    await _sign_in(client, SOPHIE)
    detail = await client.get(f"/declarations/{declaration}")
    [form_id] = re.findall(r'href="/formulaires/([0-9a-f-]+)"', detail.text)
    page = await client.get(f"/formulaires/{form_id}")
    saved = await client.post(f"/formulaires/{form_id}", data={"csrf": _csrf(page.text), "version": "0", **BUDGET})
    assert saved.status_code == 200 and "Enregistré à" in saved.text

    await _sign_in(client, ADMIN)
    page = await client.get(f"/declarations/{declaration}/controle")
    csrf = _csrf(page.text)
    ran = await client.post(f"/declarations/{declaration}/controle", data={"csrf": csrf})
    assert ran.status_code == 200 and "Taux de facturation" in ran.text and "à justifier" in ran.text
    key = re.search(r'action="/declarations/[0-9a-f-]+/justifications/([^"]+)"', ran.text).group(1)
    # A control character (here a bidi override) posted from the page is refused like through the API
    hidden = await client.post(
        f"/declarations/{declaration}/justifications/{key}",
        data={"csrf": csrf, "texte": "Contrats mensualisés \u202e: absences non déduites.", "montant": "6000"},
    )
    assert hidden.status_code == 422 and "Caractère interdit (U+202E)" in hidden.text, hidden.text[:500]
    # Reloading the address the refused justification was posted to goes back to the controls, not a 405
    reopened = await client.get(f"/declarations/{declaration}/justifications/{key}")
    assert reopened.status_code == 303 and reopened.headers["location"] == f"/declarations/{declaration}/controle"
    justified = await client.post(
        f"/declarations/{declaration}/justifications/{key}",
        data={"csrf": csrf, "texte": "Contrats mensualisés : les absences ne sont pas déduites.", "montant": "6000"},
    )
    assert justified.status_code == 303
    recap = await client.get(f"/declarations/{declaration}/transmission")
    assert "Transmettre à la Caf" in recap.text
    for shown in (recap.text, listing.text, (await client.get("/pilotage")).text):  # what a person reads: no code
        visible = re.sub(r"<[^>]+>", " ", re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", shown, flags=re.S))
        assert [c for c in ("eaje_psu", "multi_accueil", "periscolaire", "heures_realisees") if c in visible] == []
    unsigned = await client.post(f"/declarations/{declaration}/transmission", data={"csrf": csrf})
    assert unsigned.status_code == 422 and "Cochez la case de signature" in unsigned.text
    sent = await client.post(f"/declarations/{declaration}/transmission", data={"csrf": csrf, "signature": "oui"})
    assert sent.status_code == 303
    detail = await client.get(sent.headers["location"])
    assert "Déclaration transmise à la Caf." in detail.text and "accuse.pdf" in detail.text
    pdf = await client.get(f"/declarations/{declaration}/versions/1/accuse.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    for header in ("content-security-policy", "x-frame-options", "strict-transport-security"):
        assert header in detail.headers


async def test_pilotage_shows_each_activity_ratios_and_the_median_of_similar_activities(platform, catalogue):
    from afas_declaration.application.management_ratios import ratios_of

    # 110,000 € of charges for 10,000 h; 30,000 € of Caf subsidy out of 120,000 € of products
    ratios = ratios_of(
        {"total_charges": "110000", "heures_realisees": "10000", "produits_74_caf": "30000", "total_produits": "120000"}
    )
    assert (str(ratios["cout_horaire"]), str(ratios["part_caf"]), ratios["taux_occupation"]) == ("11.00", "25.00", None)

    declaration, headers = await _eaje_declaration(platform, catalogue)
    await _sign_in(platform.client, ADMIN)
    empty = await platform.client.get("/pilotage")
    assert empty.status_code == 200 and "Aucune déclaration transmise" in empty.text
    from tests.integration.test_declaration_journey import _fill

    await _fill(platform, declaration, headers)
    url = f"/api/v1/declarations/{declaration}"
    controls = (await platform.client.post(f"{url}/controls", headers=headers[ADMIN])).json()
    [flag] = [c for c in controls["controles"] if c["a_justifier"]]
    await platform.client.put(
        f"{url}/justifications/{flag['cle']}",
        headers=headers[ADMIN],
        json={"texte": "Contrats mensualisés sans déduction des absences.", "montant": "6000"},
    )
    sent = await platform.client.post(f"{url}/transmit", headers=headers[ADMIN], json={"signature": True})
    assert sent.status_code == 201, sent.text
    page = await platform.client.get("/pilotage")
    # 605,000 € / 60,000 h = 10.08 €/h; one comparable activity, so the median is itself
    assert "10,08 €/h" in page.text and "<svg" in page.text and "Médiane des activités comparables" in page.text
    assert "<small>(EAJE - PSU, Multi-accueil)</small>" in page.text  # labels, not eaje_psu / multi_accueil


async def test_messages_page_stays_usable_without_the_notification_service_and_shows_the_calendar(
    platform, catalogue, make_settings
):
    from afas_shared.testing.fixtures import running

    await _eaje_declaration(platform, catalogue)
    await _sign_in(platform.client, ADMIN)
    down = await platform.client.get("/messages")
    assert down.status_code == 200 and "Le service des notifications ne répond pas" in down.text
    async with running(make_settings("notification"), clock=platform.clock):

        async def calendar_knows_the_campaign() -> bool:
            page = await platform.client.get("/messages")
            return "Mes échéances" in page.text and "Multi-accueil Les Lucioles" in page.text

        await eventually(calendar_knows_the_campaign, timeout=15)
        page = await platform.client.get("/messages")
        created = await platform.client.post("/messages/calendrier", data={"csrf": _csrf(page.text), "action": "creer"})
        assert created.status_code == 200 and ".ics" in created.text


async def test_a_new_user_chooses_a_password_from_the_mailed_link_then_signs_in(platform):
    user = await platform.new_amiens_user(await platform.login(ADMIN))
    token = await platform.mailed_link("activation_requested", user["id"])
    client = platform.client
    client.cookies.clear()
    page = await client.get(f"/activation?jeton={token}")
    assert page.status_code == 200 and "Choisir votre mot de passe" in page.text
    weak = await client.post("/activation", data={"jeton": token, "mot_de_passe": "court", "confirmation": "court"})
    assert weak.status_code == 422 and "12 caractères" in weak.text and 'href="#champ-mot_de_passe"' in weak.text
    chosen = "Crèche-Soleil-2026"
    done = await client.post("/activation", data={"jeton": token, "mot_de_passe": chosen, "confirmation": chosen})
    # The page after activation tells the identifier and pre-fills it on the login form, never the password
    assert done.status_code == 200 and f"Votre identifiant de connexion est {user['identifiant']}" in done.text
    assert f'value="{user["identifiant"]}"' in done.text and chosen not in done.text
    forgotten = await client.get("/mot-de-passe-oublie")
    assert "figure dans le message « Activez votre compte AFAS »" in forgotten.text
    signed = await client.post(
        "/connexion",
        data={"identifiant": user["identifiant"], "mot_de_passe": chosen, "csrf": await login_csrf(client)},
    )
    assert signed.status_code == 303
    home = await client.get("/accueil")
    assert "C'est votre première connexion" in home.text


async def test_the_login_form_needs_its_csrf_token(platform):
    client = platform.client
    client.cookies.clear()
    right = {"identifiant": KARIM, "mot_de_passe": PASSWORD}
    bare = await client.post("/connexion", data=right)
    assert bare.status_code == 403 and "Jeton de sécurité manquant ou invalide" in bare.text
    csrf = await login_csrf(client)
    forged = await client.post("/connexion", data={**right, "csrf": csrf[::-1]})
    assert forged.status_code == 403
    client.cookies.clear()  # a token without its cookie (another browser's page) is refused too
    assert (await client.post("/connexion", data={**right, "csrf": csrf})).status_code == 403
    assert (await client.get("/accueil")).status_code == 303  # none of them signed in
    signed = await client.post("/connexion", data={**right, "csrf": await login_csrf(client)})
    assert signed.status_code == 303 and signed.headers["location"] == "/accueil"


async def test_an_empty_login_form_is_refused_on_the_page_and_never_reaches_identity(platform):
    import sqlalchemy as sa

    from afas_identity.adapters.tables import LoginThrottleRow

    client = platform.client
    client.cookies.clear()
    csrf = await login_csrf(client)
    for data, missing in (
        ({"identifiant": "", "mot_de_passe": ""}, ["identifiant", "mot_de_passe"]),
        ({"identifiant": KARIM, "mot_de_passe": ""}, ["mot_de_passe"]),
        ({"identifiant": "   ", "mot_de_passe": "quelque-chose"}, ["identifiant"]),
    ):
        page = await client.post("/connexion", data={**data, "csrf": csrf})
        assert page.status_code == 422 and "à corriger" in page.text
        for field in missing:
            assert f'href="#champ-{field}"' in page.text
    assert "Saisissez votre identifiant." in page.text
    async with platform.identity.db.sessions() as session:
        assert (await session.execute(sa.select(LoginThrottleRow))).scalars().all() == []  # no failed login counted


async def test_authenticated_pages_are_never_cached(platform):
    await _sign_in(platform.client, KARIM)
    for path in ("/accueil", "/declarations", "/mot-de-passe"):
        page = await platform.client.get(path)
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store", path


async def test_the_login_and_reset_pages_count_in_the_same_rate_limit_as_the_api(platform):
    """The pages' forms and the API share one bucket per address (AFAS_DECLARATION_LOGIN_RATE_LIMIT_PER_MINUTE)."""
    client = platform.client
    client.cookies.clear()
    limit = platform.gateway.settings.login_rate_limit_per_minute
    for n in range(limit):
        if n % 2:
            answer = await client.post("/mot-de-passe-oublie", data={"identifiant": f"{n:09d}"})
        else:
            answer = await client.post("/api/v1/auth/password-reset", json={"identifiant": f"{n:09d}"})
        assert answer.status_code in (200, 202), answer.text
    for path, data in (
        ("/connexion", {"identifiant": KARIM, "mot_de_passe": PASSWORD}),
        ("/mot-de-passe-oublie", {"identifiant": KARIM}),
        ("/activation", {"jeton": "x", "mot_de_passe": "y", "confirmation": "y"}),
        ("/mot-de-passe/nouveau", {"jeton": "x", "mot_de_passe": "y", "confirmation": "y"}),
    ):
        refused = await client.post(path, data=data)
        assert refused.status_code == 429 and "Retry-After" in refused.headers, path
        # A person gets a French page in the site's layout with a way back, not the API's JSON
        assert refused.headers["content-type"].startswith("text/html"), path
        assert "Trop de demandes" in refused.text and "Retour à l'accueil" in refused.text, path
    assert (await client.get("/connexion")).status_code == 200  # showing the page is not a login attempt


async def test_logging_out_of_a_session_already_ended_leads_to_the_login_page(platform):
    """« Se déconnecter » clicked in a tab whose session ended elsewhere: the login page, never an error."""
    home = await _sign_in(platform.client, KARIM)
    csrf, cookies = _csrf(home), dict(platform.client.cookies)
    first = await platform.client.post("/deconnexion", data={"csrf": csrf})
    assert (first.status_code, first.headers["location"]) == (303, "/connexion")
    for name, value in cookies.items():  # the other tab still holds the ended session's cookie
        platform.client.cookies.set(name, value)
    again = await platform.client.post("/deconnexion", data={"csrf": csrf})
    assert again.status_code == 303 and again.headers["location"].startswith("/connexion"), again.text
