"""The platform the authorization matrix runs against: the accounts it needs and the ALSH's transmitted forecast.

``World`` holds the callers' tokens and CSRF tokens, the identifiers that fill the path parameters and the bodies
of the routes; ``_build_world`` makes it on a running platform (see ``test_authorization_matrix.py``'s fixture).
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import httpx
import sqlalchemy as sa

from afas_declaration.gateway.session.caller import csrf_for
from afas_shared.testing.fixtures import eventually
from tests.e2e.test_seed_001_story import BUDGET, SITE_A, SITE_B
from tests.integration.authorization_matrix_callers import (
    ADMIN,
    ADMIN_PARTNER,
    AGENT,
    ANON,
    APPROBATEUR,
    CAF_HAB,
    CAF_INS,
    CAF_LEC,
    CAF_PAR,
    CNAF,
    FDA_SITE,
    FDF,
    KARIM,
    LUCAS,
    MADE_UP,
    OPERATOR,
    OTHER_CAF,
    OTHER_PARTNER,
    PASSWORD,
    SIRET_FORM,
    SIRET_OTHER,
    SOPHIE,
    USERS,
    _user_body,
)


@dataclass
class World:
    http: httpx.AsyncClient
    base_url: str
    identity: Any
    tokens: dict[str, str | None]
    csrf: dict[str, str]
    ids: dict[str, str]
    bodies: dict[str, Any]
    users: dict[str, str]  # identifiant -> user id
    app: Any = None

    def headers(self, kind: str) -> dict[str, str]:
        token = self.tokens[kind]
        return {"Authorization": f"Bearer {token}"} if token else {}


async def _accounts(identity) -> dict[str, str]:
    """The accounts the matrix needs beyond the demo, made as the demo makes its own (identity's use cases)."""
    from afas_identity.adapters.tables import UserAccount
    from afas_identity.application import conventions, groups, partners, users
    from afas_identity.application.demo import DEMO_SIRET
    from afas_identity.application.demo import OPERATOR as AS_OPERATOR
    from afas_identity.domain.passwords import hash_password

    def person(identifier: str, last: str, domain: str, model=users.UserInput, **extra):
        email = f"{last.lower()}.{identifier}@{domain}"
        return model(last_name=last, first_name="Test", email=email, email_confirmation=email, **extra)

    made: dict[str, str] = {}
    agents = {"100000101": ["habilitations"], "100000102": ["instruction"], "100000103": ["parametrage"]}
    agents["100000104"] = ["lecture"]
    for identifier, roles in agents.items():
        model = person(identifier, "Agent", "caf-somme.example", users.CafAgentInput, caf_roles=roles)
        await users.create_caf_agent(identity, AS_OPERATOR, "080", model, identifier=identifier)
    every_role = ["habilitations", "instruction", "parametrage", "lecture"]
    model = person("100000201", "Parisien", "caf-paris.example", users.CafAgentInput, caf_roles=every_role)
    await users.create_caf_agent(identity, AS_OPERATOR, "075", model, identifier="100000201")
    start = date(date.today().year, 1, 1)
    other = await partners.register(
        identity,
        AS_OPERATOR,
        partners.PartnerInput(
            name="Commune de Corbie", siret=SIRET_OTHER, kind="commune", caf_code="080", delegated=True
        ),
    )
    other_id = uuid.UUID(other["id"])
    for kind in ("convention_acces", "contrat_service", "bulletin_adhesion"):
        await conventions.sign(
            identity, AS_OPERATOR, other_id, conventions.ConventionInput(kind=kind, opening_date=start)
        )
    async with identity.db.sessions() as session:
        from afas_identity.adapters.tables import Partner

        amiens = (await session.execute(sa.select(Partner.id).where(Partner.siret == DEMO_SIRET))).scalar_one()
    for identifier, partner_id, group_names in (
        ("200000011", amiens, ["AFAS-DECLARER"]),  # Paul, the ALSH's approbateur
        ("200000031", amiens, ["AFAS-DECLARER"]),  # Victor, whom the destructive routes target
        ("200000021", other_id, ["AFAS-DECLARER", "AFAS-HABILITER"]),  # Olivier, of the other partner
    ):
        created = await users.create_partner_user(
            identity, AS_OPERATOR, partner_id, person(identifier, "Partenaire", "mairie.example"), identifier=identifier
        )
        made[identifier] = created["id"]
        for group in group_names:
            await groups.add(
                identity, AS_OPERATOR, uuid.UUID(created["id"]), groups.MembershipInput(group=group, start_date=start)
            )
    digest = await asyncio.to_thread(hash_password, PASSWORD)
    identifiers = [*agents, "100000201", *made]
    async with identity.db.transaction() as session:
        await session.execute(
            sa.update(UserAccount)
            .where(UserAccount.identifier.in_(identifiers))
            .values(password_hash=digest, status="actif")
        )
    made["other_partner_id"] = str(other_id)
    return made


async def _ok(response: httpx.Response, *expected: int) -> Any:
    assert response.status_code in (expected or (200,)), (
        f"{response.request.method} {response.request.url}: {response.text}"
    )
    return response.json() if response.headers.get("content-type", "").startswith("application/json") else None


async def _login(http: httpx.AsyncClient, identifier: str) -> str:
    async def attempt():
        response = await http.post("/api/v1/auth/login", json={"identifiant": identifier, "mot_de_passe": PASSWORD})
        return response.json()["jeton"] if response.status_code == 200 else None

    return await eventually(attempt, timeout=15)


async def _build_world(http, base_url, identity, gateway, admin_token, made) -> World:
    agent, admin = await _login(http, AGENT), await _login(http, ADMIN)
    as_agent, as_admin = {"Authorization": f"Bearer {agent}"}, {"Authorization": f"Bearer {admin}"}
    partners = await _ok(await http.get("/api/v1/partners", headers=as_agent))
    amiens = next(p for p in partners if p["raison_sociale"] == "Commune d'Amiens")
    users = {
        u["identifiant"]: u["id"]
        for u in await _ok(await http.get(f"/api/v1/partners/{amiens['id']}/users", headers=as_admin))
    }
    users.update({k: v for k, v in made.items() if k.isdigit()})
    listed = await _ok(await http.get("/api/v1/activities", headers=as_agent, params={"limite": 200}))
    activities = {a["ideq"]: a for a in listed["elements"]}
    alsh, laep = activities["ALSH0801"], activities["LAEP0801"]

    # Paul becomes the ALSH's approbateur in Claire's place: Claire stays the administrator, with no grant there
    [claire_line] = await _ok(
        await http.get(
            "/api/v1/grants",
            headers=as_agent,
            params={"utilisateur": users[ADMIN], "activite": alsh["id"], "role": "approbateur", "etat": "Actif"},
        )
    )
    await _ok(await http.post(f"/api/v1/grants/{claire_line['id']}/end", headers=as_admin))
    today = date.today().isoformat()

    async def grant(user: str, role: str, activity: str) -> str | None:
        body = {"utilisateur_id": user, "role": role, "perimetre": [{"activite_id": activity}], "date_debut": today}
        response = await http.post("/api/v1/grants", headers=as_admin, json=body)
        return response.json()[0]["id"] if response.status_code == 201 else None

    paul_line = await eventually(lambda: grant(users["200000011"], "approbateur", alsh["id"]), timeout=15)
    await _ok(await http.post(f"/api/v1/grants/{paul_line}/validate", headers=as_agent))
    # A pending approbateur of the LAEP: what the validate/reject/end routes act on
    pending = await eventually(lambda: grant(users[LUCAS], "approbateur", laep["id"]), timeout=15)

    kinds_of = {
        FDA_SITE: KARIM, FDF: SOPHIE, APPROBATEUR: "200000011", ADMIN_PARTNER: ADMIN, OTHER_PARTNER: "200000021",
        CAF_HAB: "100000101", CAF_INS: "100000102", CAF_PAR: "100000103", CAF_LEC: "100000104", OTHER_CAF: "100000201",
        CNAF: "100000009",
    }  # fmt: skip
    tokens: dict[str, str | None] = {ANON: None, OPERATOR: admin_token}
    for kind, identifier in kinds_of.items():
        tokens[kind] = await _login(http, identifier)
    h = {kind: ({"Authorization": f"Bearer {t}"} if t else {}) for kind, t in tokens.items()}

    # The ALSH's forecast: each site's provider fills its site, Sophie the budget, Paul controls and transmits
    async def alsh_declaration() -> str | None:
        rows = (await http.get("/api/v1/declarations", headers=h[APPROBATEUR])).json()["elements"]
        found = [r["id"] for r in rows if r["activite_id"] == alsh["id"]]
        return found[0] if found else None

    declaration = await eventually(alsh_declaration, timeout=20)
    url = f"/api/v1/declarations/{declaration}"
    forms = {}
    for kind, identifier, values in ((FDA_SITE, KARIM, SITE_A), ("lucas", LUCAS, SITE_B), (FDF, SOPHIE, BUDGET)):
        headers = h.get(kind) or {"Authorization": f"Bearer {await _login(http, identifier)}"}
        [form] = (await _ok(await http.get(url, headers=headers)))["formulaires"]
        forms[kind] = form["id"]
        body = {"version": form["version"], "valeurs": values}
        await _ok(await http.put(f"/api/v1/forms/{form['id']}", headers=headers, json=body))
    # Pièces justificatives: Karim's is his site's (his one site), Paul's the whole declaration's
    pdf = {"fichier": ("piece.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")}
    site_file = await _ok(await http.post(f"{url}/pieces-jointes", headers=h[FDA_SITE], files=pdf), 201)
    whole_file = await _ok(await http.post(f"{url}/pieces-jointes", headers=h[APPROBATEUR], files=pdf), 201)
    controls = await _ok(await http.post(f"{url}/controls", headers=h[APPROBATEUR]))
    flagged = [c["cle"] for c in controls["controles"] if c["a_justifier"]]
    for key in flagged:
        justification = {"texte": "Sorties du mercredi autorisées par la PMI.", "montant": "100"}
        await _ok(await http.put(f"{url}/justifications/{key}", headers=h[APPROBATEUR], json=justification))
    await _ok(await http.post(f"{url}/transmit", headers=h[APPROBATEUR], json={"signature": True}), 201)
    # A document from the Caf to Amiens (its users list and open it, the agents of its Caf publish and list)
    sent = {"fichier": ("notification.pdf", b"%PDF-1.7\n%%EOF\n", "application/pdf")}
    caf_document = await _ok(
        await http.post(
            f"/api/v1/partners/{amiens['id']}/documents", headers=as_agent, files=sent, data={"nature": "courrier"}
        ),
        201,
    )
    # The secure thread: the Caf's agent writes with a file (both sides read it; no other partner, no other Caf)
    thread_message = await _ok(
        await http.post(f"{url}/messages", headers=as_agent, files=sent, data={"texte": "Une question de la Caf."}),
        201,
    )
    # Validated by the Caf: the decisions are then refused as such (409) to allowed callers, destroying nothing,
    # and the entitlement and payments exist, so their refusal cells are refusals, not missing objects
    await _ok(await http.post(f"{url}/validate", headers=as_agent, json={}))

    async def entitlement() -> bool:
        return (await http.get(f"{url}/entitlement", headers=h[APPROBATEUR])).status_code == 200

    await eventually(entitlement, timeout=20)

    conventions = await _ok(
        await http.get("/api/v1/conventions", headers=as_agent, params={"partenaire": amiens["id"]})
    )
    convention = next(c["id"] for c in conventions if c.get("type") == "bulletin_adhesion") if conventions else MADE_UP
    campaigns = await _ok(await http.get("/api/v1/campaigns", headers=as_agent))
    campaign = next(c["id"] for c in campaigns if c["type_activite"] == "alsh")
    bareme = await _ok(await http.get("/api/v1/baremes/alsh", headers=as_agent))
    policy = await _ok(await http.get("/api/v1/cafs/080/politique-paiement", headers=as_agent))
    parameter = _first_parameter(bareme)
    ids = {
        "service": "identity",
        "caf": "080",
        "partner_id": amiens["id"],
        "convention_id": convention,
        "user_id": users["200000031"],
        "group": "AFAS-DECLARER",
        "activity_id": alsh["id"],
        "laep": laep["id"],
        "grant_id": pending,
        "declaration_id": declaration,
        "form_id": forms["lucas"],
        "key": flagged[0] if flagged else "cle-inventee",
        "number": "1",
        "attachment_id": whole_file["id"],  # the whole declaration's: refused to a site's provider
        "site_attachment_id": site_file["id"],
        "document_id": caf_document["id"],
        "thread_message_id": thread_message["id"],
        "token": "jeton-invente",
        "message_id": MADE_UP,
        "job_id": MADE_UP,
        "famille": "alsh",
        "famille_psu": "eaje_psu",
        "code": "CTG-MATRICE",
        "local": "bonus_territoire_montant_place_nouvelle",
        "parametre": parameter["nom"],
        "campaign_id": campaign,
        "table": "activites",  # a campaign's CSV export, one table per file
        "name": "afas.css",
        "action": "refuser",
    }
    laep_body = {
        "partenaire_id": amiens["id"], "type": "laep", "nature": "general", "nom": "LAEP Petits Pas",
        "date_ouverture": "2022-01-01", "ideq": "LAEP0801", "dossier_afc": "800104",
    }  # fmt: skip
    bodies = {
        "partner_body": {"raison_sociale": "Commune d'Amiens", "siret": amiens["siret"], "type": "commune",
                         "caf": "080", "gestion_deleguee": True},
        "activity_body": {**laep_body, "nom": "LAEP de la matrice", "ideq": None, "dossier_afc": None},
        "laep_body": laep_body,
        "grant_body": {"utilisateur_id": users["200000031"], "role": "fdf", "perimetre": [{"activite_id": laep["id"]}],
                       "date_debut": today},
        "parameter_body": {"valeur": str(parameter["valeur"]).replace(".", ","), "applicable_depuis": "2030-01-01",
                           "provenance": {"titre": "Test de la matrice des droits", "emetteur": "Cnaf",
                                          "date": "2029-12-01", "reference": "Matrice n° 1"}},
        "local_parameter_body": {"valeur": "3000", "applicable_depuis": "2030-01-01", "motif": "Matrice des droits",
                                 "provenance": {"titre": "Délibération de test de la matrice", "emetteur": "Caf 080",
                                                "date": "2029-12-01", "reference": "Matrice n° 2"}},
        "territory_body": {"nom": "Territoire de la matrice", "valeur": "3000", "applicable_depuis": "2030-01-01",
                           "provenance": {"titre": "Délibération de test de la matrice", "emetteur": "Caf 080",
                                          "date": "2029-12-01", "reference": "Matrice n° 3"}},
        "activity_territory_body": {"territoire": "CTG-MATRICE"},
        "territory_form": {"territoire_code": "CTG-MATRICE", "territoire_nom": "Territoire de la matrice",
                           "montant_place_nouvelle": "3000", "territoire_depuis": "2030-01-01",
                           "territoire_provenance_titre": "Délibération de test de la matrice",
                           "territoire_provenance_emetteur": "Caf", "territoire_provenance_date": "2029-12-01",
                           "territoire_provenance_reference": "Matrice n° 4"},
        "activity_territory_form": {"activite_id": alsh["id"], "territoire": "CTG-MATRICE"},
        "policy_body": {"politique": policy["id"], "motif": "Politique inchangée : test de la matrice des droits"},
        "policy_form": {"famille": "alsh", "politique": policy["id"],
                        "motif_politique": "Politique inchangée : test de la matrice des droits"},
        "prior_payments_body": {"exercice": date.today().year - 1, "acomptes": "1000,00", "solde": "0"},
        "prior_payments_form": {"exercice_anterieur": str(date.today().year - 1), "acomptes_anterieurs": "1000,00",
                                "solde_anterieur": "0"},
        "prior_actual_body": {"exercice": date.today().year - 3, "droit_reel": "1000,00"},
        "prior_actual_form": {"exercice_reel_anterieur": str(date.today().year - 3), "droit_reel_anterieur": "1000,00"},
        "permission_query": {"action": "saisir_activite", "activite": alsh["id"]},
        "grant_form": {"utilisateur_id": users["200000031"], "role": "fdf", "perimetre": laep["id"]},
        "user_form": {k: v for k, v in _user_body("formulaire").items()},
        "partner_form": {"raison_sociale": "Commune du formulaire", "siret": SIRET_FORM, "type": "commune",
                         "caf": "080"},
        "parameter_form": {"parametre": parameter["nom"], "valeur": str(parameter["valeur"]).replace(".", ","),
                           "applicable_depuis": "2030-01-01", "provenance_titre": "Test de la matrice des droits",
                           "provenance_emetteur": "Cnaf", "provenance_date": "2029-12-01",
                           "provenance_reference": "Matrice n° 1", "motif": "Test de la matrice des droits"},
    }  # fmt: skip
    csrf = {OPERATOR: csrf_for(gateway.settings.csrf_secret, "operateur")}
    for kind in USERS - {OPERATOR}:
        page = await http.get("/accueil", headers=h[kind])
        found = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
        csrf[kind] = found.group(1) if found else ""
    return World(http, base_url, identity, tokens, csrf, ids, bodies, users)


def _first_parameter(bareme: dict[str, Any]) -> dict[str, Any]:
    """The barème's first parameter and its latest value: setting it again changes no figure."""
    first = bareme["parametres"][0]
    return {"nom": first["nom"], "valeur": first["valeurs"][-1]["valeur"]}
