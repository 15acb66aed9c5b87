"""Demo catalogue and grants for ``make run``, loaded through the public API as real users would:
the Caf agent registers the activities, the partner's administrator grants the roles, the agent
validates the approbateur. The LAEP is left without anyone ("Non attribué")."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, timedelta

DEMO_PASSWORD = "Demo-Afas-2026!"
AGENT, ADMIN, KARIM, SOPHIE, LUCAS = "100000001", "200000001", "200000002", "200000003", "200000004"

ACTIVITIES = {
    "ALSH0801": {
        "type": "alsh",
        "nature": "periscolaire",
        "nom": "ALSH Les Coccinelles",
        "mode_lieux": "multi_lieux_antennes",
        "lieux": ["École Jules Ferry", "École Victor Hugo"],
        "date_ouverture": "2020-09-01",
        "dossier_afc": "800101",
    },
    "EAJE0801": {
        "type": "eaje_psu",
        "nature": "multi_accueil",
        "nom": "Multi-accueil Les Lucioles",
        "places": 40,
        "date_ouverture": "2018-01-01",
        "dossier_afc": "800102",
    },
    "RPE08001": {
        "type": "rpe",
        "nature": "general",
        "nom": "Relais petite enfance d'Amiens",
        "date_ouverture": "2019-01-01",
        "dossier_afc": "800103",
    },
    "LAEP0801": {
        "type": "laep",
        "nature": "general",
        "nom": "LAEP Petits Pas",
        "date_ouverture": "2022-01-01",
        "dossier_afc": "800104",
    },
}
# (user, role, activity IDEQU, site index or None)
GRANTS = [
    (KARIM, "fda", "ALSH0801", 0),
    (LUCAS, "fda", "ALSH0801", 1),
    (SOPHIE, "fdf", "ALSH0801", None),
    (ADMIN, "approbateur", "ALSH0801", None),
    (KARIM, "fda", "EAJE0801", None),
    (SOPHIE, "fdf", "EAJE0801", None),
    (ADMIN, "approbateur", "EAJE0801", None),
    (LUCAS, "fda", "RPE08001", None),
    (SOPHIE, "fdf", "RPE08001", None),
    (ADMIN, "approbateur", "RPE08001", None),
]

# Declarations to fill at once: the forecast of next year, open from the day the platform starts
CAMPAIGN_FAMILIES = ("eaje_psu", "alsh", "rpe", "laep")

Http = Callable[..., tuple[int, object]]


def load(http: Http, gateway: str) -> None:
    agent, admin = _login(http, gateway, AGENT), _login(http, gateway, ADMIN)
    _, partners = http("GET", f"{gateway}/api/v1/partners", token=admin)
    partner = next(p["id"] for p in partners if p["raison_sociale"] == "Commune d'Amiens")
    activities = _activities(http, gateway, agent, partner)
    _campaigns(http, gateway, agent)
    _, grants = http("GET", f"{gateway}/api/v1/grants", token=agent, query="etat=Actif")
    if grants:
        return  # already loaded by an earlier run
    _, users = http("GET", f"{gateway}/api/v1/partners/{partner}/users", token=admin)
    user_ids = {u["identifiant"]: u["id"] for u in users}
    for identifier, role, ideq, site in GRANTS:
        activity = activities[ideq]
        scope = {"activite_id": activity["id"], "lieu_id": activity["lieux"][site]["id"] if site is not None else None}
        body = {"utilisateur_id": user_ids[identifier], "role": role, "perimetre": [scope], "date_debut": "2026-01-01"}
        status, lines = _retry(lambda body=body: http("POST", f"{gateway}/api/v1/grants", body, admin))
        if status != 201:
            raise RuntimeError(f"habilitation de démonstration : {status} {lines}")
        if role == "approbateur":
            http("POST", f"{gateway}/api/v1/grants/{lines[0]['id']}/validate", None, agent)


def _campaigns(http: Http, gateway: str, agent: str) -> None:
    today = date.today()
    exercice = today.year + 1
    _, existing = http("GET", f"{gateway}/api/v1/campaigns", token=agent)
    opened = {(c["type_activite"], c["exercice"], c["type_declaration"]) for c in existing}
    for family in CAMPAIGN_FAMILIES:
        if (family, exercice, "previsionnelle") in opened:
            continue
        body = {
            "type_activite": family,
            "exercice": exercice,
            "type_declaration": "previsionnelle",
            "date_ouverture": today.isoformat(),
            "date_limite": (today + timedelta(days=60)).isoformat(),
        }
        status, answer = http("POST", f"{gateway}/api/v1/campaigns", body, agent)
        if status != 202:  # the opening runs as a background job
            raise RuntimeError(f"campagne de démonstration {family} : {status} {answer}")


def _login(http: Http, gateway: str, identifier: str) -> str:
    status, answer = http(
        "POST", f"{gateway}/api/v1/auth/login", {"identifiant": identifier, "mot_de_passe": DEMO_PASSWORD}
    )
    if status != 200:
        raise RuntimeError(f"connexion de démonstration {identifier} : {status} {answer}")
    return answer["jeton"]


def _activities(http: Http, gateway: str, agent: str, partner: str) -> dict[str, dict]:
    # the partner's few demo activities fit in one page of the (paginated) list
    _, existing = http("GET", f"{gateway}/api/v1/activities?partenaire={partner}&limite=200", token=agent)
    found = {a["ideq"]: a for a in existing["elements"]}
    for ideq, body in ACTIVITIES.items():
        if ideq not in found:
            status, activity = _retry(
                lambda body=body, ideq=ideq: http(
                    "POST", f"{gateway}/api/v1/activities", {**body, "ideq": ideq, "partenaire_id": partner}, agent
                )
            )
            if status != 201:
                raise RuntimeError(f"activité de démonstration {ideq} : {status} {activity}")
            found[ideq] = activity
    return found


def _retry(call: Callable[[], tuple[int, object]], timeout: float = 15) -> tuple[int, object]:
    """Habilitation learns partners, users and groups from identity's events: give them a moment."""
    deadline = time.monotonic() + timeout
    while True:
        status, answer = call()
        if status not in (409, 422) or time.monotonic() > deadline:
            return status, answer
        time.sleep(0.3)
