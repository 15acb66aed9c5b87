"""The authorization matrix of the public gateway: every route × every kind of caller, each cell stated.

The five services run once for the module (demo accounts, ``tools/demo_catalogue.py``'s catalogue, grants and
forecast campaigns, plus the accounts the matrix needs: one Caf agent per back-office role, an agent of another
Caf, a user of another partner, an administrator who holds no grant, an approbateur who is not an administrator).
The ALSH's forecast (two sites, one activity-data provider per site) is filled, controlled, transmitted and validated,
so every path parameter names a real object of the first partner and the first Caf (the "other partner" and
"other Caf" cells test isolation), and the decisions on it answer 409 to allowed callers instead of destroying it.

Each cell is *allowed* (any answer but 401/403 — a validation error, a 409 or a 404 for a made-up id are fine)
or *refused* (401 for an anonymous caller of the API, a redirect to ``/connexion`` for an anonymous caller of
a page, else 403 or 404). No cell may answer 5xx. A route of the app missing from ``MATRIX`` fails the test:
a new route must be classified here. Refusal cells run first (they change nothing); routes that destroy what
later cells need (close, suspend, end a grant, log out…) then get one allowed caller each, at the very end.
``/internal/*`` and ``/metrics`` must not be served at all (404 to everyone).

Also here, through the gateway: what a provider granted ONE site of a multi-site activity may read of a
declaration (issue 12, « scope on every read »).
"""

from __future__ import annotations

import asyncio
import importlib
import importlib.util
import re
import socket
import uuid
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import requests
import sqlalchemy as sa
import uvicorn
from fastapi.routing import iter_route_contexts

from afas_declaration.entrypoints.caller import csrf_for
from afas_shared.settings import CommonSettings
from afas_shared.testing.fixtures import eventually, running
from tests.e2e.test_seed_001_story import BUDGET, SITE_A, SITE_B

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(600)]

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "Demo-Afas-2026!"
SERVICES = ("identity", "habilitation", "estimation", "notification", "declaration")
GATEWAY_OVERRIDES = {
    "rate_limit_per_second": 1_000_000.0,
    "rate_limit_burst": 1_000_000,
    "login_rate_limit_per_minute": 1_000_000,
    "status_timeout_seconds": 10.0,
}
AGENT, ADMIN, KARIM, SOPHIE, LUCAS = "100000001", "200000001", "200000002", "200000003", "200000004"

# --- the callers -------------------------------------------------------------------------------------------------

ANON = "anonyme"
FDA_SITE = "fda d'un lieu"  # Karim: activity data of the ALSH's first site only
FDF = "fdf"  # Sophie: the ALSH's financial data
APPROBATEUR = "approbateur"  # Paul: the ALSH's approbateur, not an administrator
ADMIN_PARTNER = "administrateur partenaire"  # Claire: AFAS-HABILITER of Amiens, no grant on the ALSH
OTHER_PARTNER = "autre partenaire"  # Olivier: administrator and declarant of another partner of the same Caf
CAF_HAB, CAF_INS, CAF_PAR, CAF_LEC = "caf habilitations", "caf instruction", "caf paramétrage", "caf lecture"
OTHER_CAF = "agent d'une autre caf"  # every role, of Caf 075
CNAF = "cnaf paramétrage national"  # Hélène (demo): the national barèmes, no Caf's data
OPERATOR = "opérateur"
KINDS = (
    ANON, FDA_SITE, FDF, APPROBATEUR, ADMIN_PARTNER, OTHER_PARTNER,
    CAF_HAB, CAF_INS, CAF_PAR, CAF_LEC, OTHER_CAF, CNAF, OPERATOR,
)  # fmt: skip
USERS = frozenset(KINDS) - {ANON}
CAF = frozenset({CAF_HAB, CAF_INS, CAF_PAR, CAF_LEC})
ALSH_PROVIDERS = frozenset({FDA_SITE, FDF, APPROBATEUR})


def _luhn_siret(prefix: str) -> str:
    """A valid SIRET (Luhn key) from its first 13 digits: identity checks the key before anything else."""
    for last in range(10):
        digits = [int(c) for c in prefix + str(last)]
        total = sum(d if i % 2 == 0 else (d * 2 - 9 if d * 2 > 9 else d * 2) for i, d in enumerate(reversed(digits)))
        if total % 10 == 0:
            return prefix + str(last)
    raise AssertionError(prefix)


SIRET_NEW, SIRET_FORM, SIRET_OTHER = (_luhn_siret(p) for p in ("2180009990001", "2180009880001", "2180020190001"))
# Made-up identifiers: an allowed caller gets a 404, never a 401/403
MADE_UP = "00000000-0000-4000-8000-000000000000"
REFUSALS = (401, 403, 404)


@dataclass(frozen=True)
class Route:
    """One cell row: who may call it; what to send; whether calling it destroys what later cells need."""

    allowed: frozenset[str]
    body: Any = None
    form: dict[str, str] | None = None
    csv: str | None = None
    params: dict[str, str] = field(default_factory=dict)  # path parameter overrides (keys of World.ids)
    query: dict[str, str] | None = None
    destructive: bool = False
    last_caller: str | None = None  # for a destructive route: who makes its one allowed call at the end
    ends_on_login_page: bool = False  # its success is a redirect to /connexion (logging out)
    cookies: dict[str, str] = field(default_factory=dict)


def route(allowed, **options) -> Route:
    return Route(frozenset(allowed), **options)


def _user_body(name: str) -> dict[str, str]:
    email = f"{name}@amiens.example"
    return {"nom": name.capitalize(), "prenom": "Test", "email": email, "email_confirmation": email}


PARTNER_ADMINS = {ADMIN_PARTNER, CAF_HAB, OPERATOR}  # users of a delegated partner: its administrator or the Caf
CAF_HAB_OP = {CAF_HAB, OPERATOR}
CAF_PAR_OP = {CAF_PAR, OPERATOR}
CAF_INS_OP = {CAF_INS, OPERATOR}
CAF_READERS = CAF | {OPERATOR}
DECLARATION_READERS = ALSH_PROVIDERS | CAF_READERS
WHOLE_DECLARATION_READERS = DECLARATION_READERS - {FDA_SITE}
REASON = {"motif": "Motif de la décision rédigé pour le test de la matrice."}
PAGE_PUBLIC = set(KINDS)
PARTNER_USERS = ALSH_PROVIDERS | {ADMIN_PARTNER, OTHER_PARTNER}
CATALOGUE_EDITORS = {CAF_HAB, CAF_PAR, OPERATOR}  # habilitation's catalogue editors
NATIONAL_PARAMETRAGE = {CNAF}  # the barèmes are national: the Cnaf's paramétrage only

# Never on the public gateway, whoever asks (issue 12: internal routes on an internal port)
NOT_PUBLIC = (("GET", "/internal/v1/users"), ("GET", "/metrics"))

MATRIX: dict[tuple[str, str], Route] = {
    # --- platform, documentation, health
    ("GET", "/openapi.json"): route(KINDS),
    ("GET", "/docs"): route(KINDS),
    ("GET", "/docs/oauth2-redirect"): route(KINDS),
    ("GET", "/redoc"): route(KINDS),
    ("GET", "/healthz"): route(KINDS),
    ("GET", "/readyz"): route(KINDS),
    ("GET", "/asyncapi.json"): route(KINDS),
    ("GET", "/api/v1/status"): route(KINDS),
    ("GET", "/api/v1/events/asyncapi/{service}"): route(KINDS),
    ("POST", "/api/v1/admin/demo"): route({OPERATOR}),
    # --- sessions
    ("POST", "/api/v1/auth/login"): route(KINDS, body={"identifiant": AGENT, "mot_de_passe": PASSWORD}),
    ("GET", "/api/v1/auth/session"): route(USERS),
    ("POST", "/api/v1/auth/refresh"): route(USERS - {OPERATOR}),
    ("POST", "/api/v1/auth/logout"): route(USERS, destructive=True, last_caller=CAF_LEC),
    ("POST", "/api/v1/auth/activation"): route(
        KINDS, body={"jeton": "jeton-invente", "mot_de_passe": "Nouveau-Mot-2026!", "confirmation": "Nouveau-Mot-2026!"}
    ),
    ("POST", "/api/v1/auth/password"): route(
        USERS - {OPERATOR},
        body={
            "mot_de_passe_actuel": "pas-le-bon",
            "mot_de_passe": "Nouveau-Mot-2026!",
            "confirmation": "Nouveau-Mot-2026!",
        },
    ),
    ("POST", "/api/v1/auth/password-reset"): route(KINDS, body={"identifiant": "999999999"}),
    ("POST", "/api/v1/auth/password-reset/confirm"): route(
        KINDS, body={"jeton": "jeton-invente", "mot_de_passe": "Nouveau-Mot-2026!", "confirmation": "Nouveau-Mot-2026!"}
    ),
    ("GET", "/api/v1/auth/jwks"): route(KINDS),
    # --- identity: Cafs, partners, conventions, users, groups
    ("GET", "/api/v1/cafs"): route(USERS),
    ("POST", "/api/v1/cafs/{caf}/agents"): route(
        CAF_HAB_OP,
        body={
            "nom": "Agent",
            "prenom": "Nouvel",
            "email": "nouvel.agent@caf-somme.example",
            "email_confirmation": "nouvel.agent@caf-somme.example",
            "roles_caf": ["lecture"],
        },
    ),  # fmt: skip
    ("GET", "/api/v1/partners"): route(USERS),
    ("POST", "/api/v1/partners"): route(
        CAF_HAB_OP,
        body={"raison_sociale": "Commune nouvelle", "siret": SIRET_NEW, "type": "commune", "caf": "080"},
    ),
    ("GET", "/api/v1/partners/{partner_id}"): route(CAF_READERS | {ADMIN_PARTNER, FDA_SITE, FDF, APPROBATEUR}),
    ("PUT", "/api/v1/partners/{partner_id}"): route(CAF_HAB_OP, body="partner_body"),
    ("PUT", "/api/v1/partners/{partner_id}/delegation"): route(CAF_HAB_OP, body={"gestion_deleguee": True}),
    ("GET", "/api/v1/partners/{partner_id}/audit"): route(CAF_READERS),
    ("POST", "/api/v1/partners/{partner_id}/conventions"): route(
        CAF_HAB_OP, body={"type": "contrat_service", "date_ouverture": "2026-01-01"}
    ),
    ("GET", "/api/v1/conventions"): route(USERS),
    ("POST", "/api/v1/conventions/{convention_id}/close"): route(CAF_HAB_OP, body={}, destructive=True),
    ("GET", "/api/v1/partners/{partner_id}/users"): route(PARTNER_ADMINS | CAF_READERS),
    ("POST", "/api/v1/partners/{partner_id}/users"): route(PARTNER_ADMINS, body=_user_body("nouveau")),
    ("PUT", "/api/v1/users/{user_id}"): route(PARTNER_ADMINS, body=_user_body("victime")),
    ("POST", "/api/v1/users/{user_id}/close"): route(PARTNER_ADMINS, body={}, destructive=True),
    ("POST", "/api/v1/users/{user_id}/suspend"): route(CAF_HAB_OP, body=REASON, destructive=True),
    ("POST", "/api/v1/users/{user_id}/reactivate"): route(CAF_HAB_OP, destructive=True),
    ("POST", "/api/v1/users/{user_id}/force-password-change"): route(CAF_HAB_OP, destructive=True),
    ("POST", "/api/v1/users/{user_id}/groups"): route(PARTNER_ADMINS, body={"groupe": "AFAS-DECLARER"}),
    ("DELETE", "/api/v1/users/{user_id}/groups/{group}"): route(PARTNER_ADMINS, destructive=True),
    # --- habilitation: catalogue and grants
    ("GET", "/api/v1/activities"): route(USERS),
    ("POST", "/api/v1/activities"): route(CATALOGUE_EDITORS, body="activity_body"),
    ("POST", "/api/v1/activities/import"): route(
        CAF | {OTHER_CAF, CNAF, OPERATOR},  # every row is checked against the caller's Caf: refused rows reported
        csv="partenaire_siret;caf;famille;nature;nom;mode_lieux;lieux;date_ouverture;date_fermeture;places;ideq;dossier_afc\n",
    ),
    ("GET", "/api/v1/activities/{activity_id}"): route(CAF_READERS | {ADMIN_PARTNER, FDA_SITE, FDF, APPROBATEUR}),
    ("PUT", "/api/v1/activities/{activity_id}"): route(
        CATALOGUE_EDITORS, body="laep_body", params={"activity_id": "laep"}
    ),
    ("POST", "/api/v1/activities/{activity_id}/close"): route(
        CATALOGUE_EDITORS, body={"date_fermeture": "2030-12-31"}, params={"activity_id": "laep"}, destructive=True
    ),
    ("POST", "/api/v1/grants"): route({ADMIN_PARTNER, CAF_HAB, OPERATOR}, body="grant_body"),
    ("GET", "/api/v1/partners/{partner_id}/grants"): route({ADMIN_PARTNER} | CAF_READERS),
    ("GET", "/api/v1/grants"): route(CAF_READERS | {ADMIN_PARTNER, OTHER_PARTNER, OTHER_CAF, CNAF}),
    ("GET", "/api/v1/grants/pending"): route(CAF | {OTHER_CAF, CNAF}),
    ("POST", "/api/v1/grants/{grant_id}/validate"): route(CAF_HAB_OP, destructive=True),
    ("POST", "/api/v1/grants/{grant_id}/reject"): route(CAF_HAB_OP, body=REASON, destructive=True),
    ("POST", "/api/v1/grants/{grant_id}/end"): route({ADMIN_PARTNER, CAF_HAB, OPERATOR}, destructive=True),
    # --- declaration: campaigns, declarations, forms, permissions
    ("POST", "/api/v1/campaigns"): route(
        CAF_PAR_OP | {OTHER_CAF},
        body={
            "type_activite": "rpe",
            "exercice": 2030,
            "type_declaration": "reelle",
            "date_ouverture": "2031-01-15",
            "date_limite": "2031-03-31",
        },
    ),  # fmt: skip
    ("GET", "/api/v1/campaigns"): route(CAF_READERS | {OTHER_CAF, CNAF}),
    ("GET", "/api/v1/declarations"): route(USERS),
    ("GET", "/api/v1/declarations/a-saisir"): route(USERS),
    ("GET", "/api/v1/activities/{activity_id}/declarations"): route(DECLARATION_READERS),
    ("GET", "/api/v1/declarations/{declaration_id}"): route(DECLARATION_READERS),
    ("PUT", "/api/v1/forms/{form_id}"): route({APPROBATEUR}, body={"version": 1, "valeurs": SITE_B}),
    ("POST", "/api/v1/forms/{form_id}/prefill"): route({APPROBATEUR}, body={"version": 1}),
    ("GET", "/api/v1/me/permissions"): route(USERS - {OPERATOR}),
    ("GET", "/api/v1/me/permissions/check"): route(USERS - {OPERATOR}, query="permission_query"),
    ("POST", "/api/v1/declarations/{declaration_id}/controls"): route(ALSH_PROVIDERS),
    ("GET", "/api/v1/declarations/{declaration_id}/controls"): route(DECLARATION_READERS),
    ("PUT", "/api/v1/declarations/{declaration_id}/justifications/{key}"): route(
        {APPROBATEUR}, body={"texte": "Sorties du mercredi autorisées par la PMI.", "montant": "100"}
    ),
    ("PUT", "/api/v1/declarations/{declaration_id}/complement"): route(
        {APPROBATEUR}, body={"texte": "Rien à ajouter."}
    ),
    ("GET", "/api/v1/declarations/{declaration_id}/estimate"): route(WHOLE_DECLARATION_READERS),
    ("POST", "/api/v1/forms/{form_id}/send-back"): route({APPROBATEUR}, body={"commentaire": "Vérifiez les heures."}),
    ("POST", "/api/v1/declarations/{declaration_id}/transmit"): route({APPROBATEUR}, body={"signature": True}),
    ("GET", "/api/v1/declarations/{declaration_id}/versions"): route(DECLARATION_READERS),
    ("GET", "/api/v1/declarations/{declaration_id}/versions/{number}"): route(DECLARATION_READERS),
    ("GET", "/api/v1/declarations/{declaration_id}/versions/{number}/accuse.pdf"): route(WHOLE_DECLARATION_READERS),
    ("GET", "/api/v1/instruction/declarations"): route(CAF_READERS | {OTHER_CAF, CNAF}),
    ("POST", "/api/v1/declarations/{declaration_id}/validate"): route(CAF_INS_OP, body={}),
    ("POST", "/api/v1/declarations/{declaration_id}/refuse"): route(CAF_INS_OP, body=REASON),
    ("POST", "/api/v1/declarations/{declaration_id}/cancel"): route(CAF_INS_OP, body=REASON),
    # --- notification
    ("GET", "/api/v1/calendrier"): route(USERS),
    ("POST", "/api/v1/calendrier/lien"): route(PARTNER_USERS),
    ("DELETE", "/api/v1/calendrier/lien"): route(USERS - {OPERATOR}),
    ("GET", "/api/v1/calendrier/{token}.ics"): route(KINDS),  # the token is the credential: a made-up one is a 404
    ("GET", "/api/v1/notifications"): route(USERS - {OPERATOR}),
    ("GET", "/api/v1/notifications/non-lues"): route(USERS - {OPERATOR}),
    ("POST", "/api/v1/notifications/lues"): route(USERS - {OPERATOR}),
    ("POST", "/api/v1/notifications/{message_id}/lue"): route(USERS - {OPERATOR}),
    ("GET", "/api/v1/notifications/preferences"): route(USERS - {OPERATOR}),
    ("PUT", "/api/v1/notifications/preferences"): route(USERS - {OPERATOR}, body={}),
    ("GET", "/api/v1/rappels/parametres"): route(CAF_READERS | {OTHER_CAF, CNAF}),
    ("PUT", "/api/v1/rappels/parametres"): route(
        CAF_PAR_OP | {OTHER_CAF}, body={"jours_avant": [15, 3, 1], "jours_apres": 1}
    ),
    ("GET", "/api/v1/admin/notifications/non-distribuees"): route({OPERATOR}),
    ("POST", "/api/v1/admin/notifications/{message_id}/renvoyer"): route({OPERATOR}),
    # --- estimation
    ("GET", "/api/v1/baremes/{famille}"): route(USERS),
    ("PUT", "/api/v1/baremes/{famille}/parametres/{parametre}"): route(
        NATIONAL_PARAMETRAGE, body="parameter_body", destructive=True
    ),
    ("GET", "/api/v1/baremes/reestimations/{job_id}"): route(CAF_READERS),
    # the amounts cover the whole activity: a partner user needs a grant on the whole activity (estimation asks
    # declaration.rpc.may), so neither a site provider nor an administrator without a grant reads them
    ("GET", "/api/v1/activities/{activity_id}/payments"): route(
        WHOLE_DECLARATION_READERS, query={"exercice": str(date.today().year + 1)}
    ),
    ("GET", "/api/v1/declarations/{declaration_id}/entitlement"): route(WHOLE_DECLARATION_READERS),
    ("GET", "/api/v1/cafs/{caf}/politique-paiement"): route(USERS),
    # a Caf chooses its own payment policy: its paramétrage agents only (not the Cnaf, not the operator)
    ("PUT", "/api/v1/cafs/{caf}/politique-paiement"): route({CAF_PAR}, body="policy_body", destructive=True),
    # a Caf's local parameter (bonus territoire per new place): its paramétrage agents only (not the Cnaf)
    ("PUT", "/api/v1/cafs/{caf}/parametres-locaux/{famille}/{parametre}"): route(
        {CAF_PAR},
        body="local_parameter_body",
        params={"famille": "famille_psu", "parametre": "local"},
        destructive=True,
    ),
    # a Caf's territories (bonus territoire per new place): read by that Caf's agents and the operator, defined and
    # assigned by its paramétrage agents only (not the Cnaf, not the operator); the ALSH has no territory: 422
    ("GET", "/api/v1/cafs/{caf}/territoires"): route(CAF_READERS),
    ("PUT", "/api/v1/cafs/{caf}/territoires/{code}"): route({CAF_PAR}, body="territory_body"),
    ("PUT", "/api/v1/activities/{activity_id}/territoire"): route({CAF_PAR}, body="activity_territory_body"),
    # payments made before the platform: the activity's Caf, instruction or paramétrage (201, then 409 once known)
    ("POST", "/api/v1/activities/{activity_id}/versements-anterieurs"): route(
        {CAF_INS, CAF_PAR}, body="prior_payments_body"
    ),
    # an actual validated before the platform: the activity's Caf, instruction or paramétrage (201, then 409)
    ("POST", "/api/v1/activities/{activity_id}/reels-anterieurs"): route({CAF_INS, CAF_PAR}, body="prior_actual_body"),
    # --- pages: public
    ("GET", "/static/{name}"): route(PAGE_PUBLIC),
    ("GET", "/etat"): route(PAGE_PUBLIC),
    ("GET", "/"): route(PAGE_PUBLIC, ends_on_login_page=True),  # a redirect, to /connexion without a cookie
    ("GET", "/connexion"): route(PAGE_PUBLIC),
    # The login form's double-submit CSRF token: the same value in its cookie and in the form
    ("POST", "/connexion"): route(
        PAGE_PUBLIC,
        form={"identifiant": AGENT, "mot_de_passe": PASSWORD, "csrf": "jeton-matrice"},
        cookies={"afas_connexion": "jeton-matrice"},
    ),
    ("POST", "/deconnexion"): route(
        PAGE_PUBLIC, form={}, destructive=True, last_caller=CAF_LEC, ends_on_login_page=True
    ),
    ("GET", "/mot-de-passe-oublie"): route(PAGE_PUBLIC),
    ("POST", "/mot-de-passe-oublie"): route(PAGE_PUBLIC, form={"identifiant": "999999999"}),
    ("GET", "/mot-de-passe/nouveau"): route(PAGE_PUBLIC, query={"jeton": "jeton-invente"}),
    ("POST", "/mot-de-passe/nouveau"): route(
        PAGE_PUBLIC,
        form={"jeton": "jeton-invente", "mot_de_passe": "Nouveau-Mot-2026!", "confirmation": "Nouveau-Mot-2026!"},
    ),
    ("GET", "/activation"): route(PAGE_PUBLIC, query={"jeton": "jeton-invente"}),
    ("POST", "/activation"): route(
        PAGE_PUBLIC,
        form={"jeton": "jeton-invente", "mot_de_passe": "Nouveau-Mot-2026!", "confirmation": "Nouveau-Mot-2026!"},
    ),
    # --- pages: signed-in users
    ("GET", "/mot-de-passe"): route(USERS),
    ("POST", "/mot-de-passe"): route(
        USERS - {OPERATOR},
        form={
            "mot_de_passe_actuel": "pas-le-bon",
            "mot_de_passe": "Nouveau-Mot-2026!",
            "confirmation": "Nouveau-Mot-2026!",
        },
    ),
    ("GET", "/accueil"): route(USERS),
    ("GET", "/declarations"): route(USERS),
    ("GET", "/declarations/{declaration_id}"): route(DECLARATION_READERS),
    ("GET", "/formulaires/{form_id}"): route({APPROBATEUR} | CAF_READERS),
    ("POST", "/formulaires/{form_id}"): route({APPROBATEUR}, form={"version": "1"}),
    ("GET", "/declarations/{declaration_id}/controle"): route(DECLARATION_READERS),
    ("POST", "/declarations/{declaration_id}/controle"): route(ALSH_PROVIDERS, form={}),
    ("POST", "/declarations/{declaration_id}/justifications/{key}"): route(
        {APPROBATEUR}, form={"texte": "Sorties du mercredi autorisées par la PMI.", "montant": "100"}
    ),
    ("GET", "/declarations/{declaration_id}/transmission"): route(DECLARATION_READERS),
    ("POST", "/declarations/{declaration_id}/transmission"): route({APPROBATEUR}, form={"signature": "oui"}),
    ("GET", "/declarations/{declaration_id}/versions/{number}/accuse.pdf"): route(WHOLE_DECLARATION_READERS),
    ("GET", "/pilotage"): route(PARTNER_USERS),
    ("GET", "/messages"): route(USERS),
    ("POST", "/messages/lus"): route(USERS - {OPERATOR}, form={}),
    ("POST", "/messages/preferences"): route(USERS - {OPERATOR}, form={}),
    ("POST", "/messages/calendrier"): route(PARTNER_USERS, form={}),
    # --- pages: partner administration
    ("GET", "/administration/habilitations"): route({ADMIN_PARTNER, OTHER_PARTNER}),
    ("POST", "/administration/habilitations"): route({ADMIN_PARTNER}, form="grant_form"),
    ("POST", "/administration/habilitations/{grant_id}/fin"): route({ADMIN_PARTNER}, form={}, destructive=True),
    ("GET", "/administration/utilisateurs"): route({ADMIN_PARTNER, OTHER_PARTNER}),
    ("POST", "/administration/utilisateurs"): route({ADMIN_PARTNER, OTHER_PARTNER}, form="user_form"),
    ("POST", "/administration/utilisateurs/{user_id}/groupes"): route(
        {ADMIN_PARTNER}, form={"groupe": "AFAS-DECLARER"}
    ),
    ("POST", "/administration/utilisateurs/{user_id}/groupes/{group}/retrait"): route(
        {ADMIN_PARTNER}, form={}, destructive=True
    ),
    # --- pages: the Caf's back office
    ("GET", "/caf/approbateurs"): route(CAF | {OTHER_CAF, CNAF}),
    ("POST", "/caf/approbateurs/{grant_id}/valider"): route(
        {CAF_HAB, OPERATOR}, form={}, destructive=True, last_caller=CAF_HAB
    ),
    ("POST", "/caf/approbateurs/{grant_id}/refuser"): route(
        {CAF_HAB, OPERATOR}, form=REASON, destructive=True, last_caller=CAF_HAB
    ),
    ("GET", "/caf/instruction"): route(CAF_READERS | {OTHER_CAF, CNAF}),
    ("GET", "/caf/instruction/{declaration_id}"): route(CAF_READERS),
    ("POST", "/caf/instruction/{declaration_id}/{action}"): route(CAF_INS_OP, form={"motif_refuser": REASON["motif"]}),
    ("GET", "/caf/partenaires"): route(CAF_READERS | {OTHER_CAF, CNAF}),
    ("POST", "/caf/partenaires"): route(CAF_HAB_OP, form="partner_form"),
    ("GET", "/caf/partenaires/{partner_id}"): route(CAF_READERS),
    ("POST", "/caf/partenaires/{partner_id}/delegation"): route(CAF_HAB_OP, form={"gestion_deleguee": "oui"}),
    ("POST", "/caf/partenaires/{partner_id}/conventions"): route(
        CAF_HAB_OP, form={"type": "contrat_service", "date_ouverture": "2026-01-01"}
    ),
    ("POST", "/caf/partenaires/{partner_id}/utilisateurs/{user_id}/{action}"): route(
        CAF_HAB_OP, form={"motif": REASON["motif"]}, destructive=True
    ),
    ("GET", "/caf/campagnes"): route(CAF_READERS | {OTHER_CAF, CNAF}),
    ("POST", "/caf/campagnes"): route(
        CAF_PAR_OP | {OTHER_CAF},
        form={
            "type_activite": "laep",
            "exercice": "2030",
            "type_declaration": "reelle",
            "date_ouverture": "2031-01-15",
            "date_limite": "2031-03-31",
        },
    ),  # fmt: skip
    ("GET", "/caf/campagnes/{campaign_id}"): route(CAF_READERS),
    ("GET", "/caf/campagnes/{campaign_id}/export.csv"): route(CAF_READERS),
    ("GET", "/caf/campagnes/{campaign_id}/export.xlsx"): route(CAF_READERS),
    ("GET", "/caf/baremes"): route(CAF_READERS | {OTHER_CAF, CNAF}),
    ("POST", "/caf/baremes/{famille}"): route(NATIONAL_PARAMETRAGE, form="parameter_form", destructive=True),
    # the page form has no Caf: it sets the agent's own Caf's policy (Caf 075's for the other Caf's agent)
    ("POST", "/caf/politique-paiement"): route({CAF_PAR, OTHER_CAF}, form="policy_form", destructive=True),
    # the page's territory is the agent's own Caf's (Caf 075's for the other Caf's agent); an activity is assigned
    # by its own Caf's paramétrage agents only (the other Caf's agent is refused by estimation)
    ("POST", "/caf/territoires"): route({CAF_PAR, OTHER_CAF}, form="territory_form"),
    ("POST", "/caf/territoires/affectation"): route({CAF_PAR}, form="activity_territory_form"),
    ("POST", "/caf/declarations/{declaration_id}/versements-anterieurs"): route(
        {CAF_INS, CAF_PAR}, form="prior_payments_form"
    ),
    ("POST", "/caf/declarations/{declaration_id}/reels-anterieurs"): route(
        {CAF_INS, CAF_PAR}, form="prior_actual_form"
    ),
}


# --- the platform, once for the module ---------------------------------------------------------------------------


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


def _demo_catalogue():
    spec = importlib.util.spec_from_file_location("afas_demo_catalogue", ROOT / "tools" / "demo_catalogue.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sync_http(method, url, body=None, token=None, query=None, timeout=30):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = requests.request(method, f"{url}?{query}" if query else url, json=body, headers=headers, timeout=timeout)
    try:
        return response.status_code, response.json()
    except ValueError:
        return response.status_code, response.text


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


async def _serve(app, stack: AsyncExitStack) -> str:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, lifespan="off", log_config=None, access_log=False))
    task = asyncio.create_task(server.serve(sockets=[sock]))

    async def stop() -> None:
        server.should_exit = True
        await task
        sock.close()

    stack.push_async_callback(stop)
    await eventually(lambda: server.started or task.done(), timeout=10)
    assert not task.done(), "the gateway's HTTP server did not start"
    return f"http://127.0.0.1:{port}"


async def _ok(response: httpx.Response, *expected: int) -> Any:
    assert response.status_code in (expected or (200,)), (
        f"{response.request.method} {response.request.url}: {response.text}"
    )
    return response.json() if response.headers.get("content-type", "").startswith("application/json") else None


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(backends, tmp_path_factory):
    common = CommonSettings(
        nats_url=backends.nats_url, bus_prefix=backends.bus_prefix(), var_dir=tmp_path_factory.mktemp("matrix")
    )

    def settings(service: str, **overrides: Any):
        config = importlib.import_module(f"afas_{service}.config")
        values = {
            "database_url": backends.database_url(service),
            "consumer_backoff_seconds": [0.1, 0.2, 0.4],
            "consumer_ack_wait_seconds": 5.0,
            "outbox_poll_seconds": 0.2,
            "rpc_timeout_seconds": 10.0,
            **overrides,
        }
        return config.Settings(common=common, **values)

    async with AsyncExitStack() as stack:
        runtimes = {}
        for service in SERVICES:
            overrides = GATEWAY_OVERRIDES if service == "declaration" else {}
            runtimes[service] = await stack.enter_async_context(running(settings(service, **overrides)))
        gateway = runtimes["declaration"]
        app = gateway.create_app()
        base_url = await _serve(app, stack)
        admin_token = gateway.settings.admin_token
        demo = await asyncio.to_thread(_sync_http, "POST", f"{base_url}/api/v1/admin/demo", None, admin_token, None, 90)
        assert demo[0] == 200, demo
        await asyncio.to_thread(_demo_catalogue().load, _sync_http, base_url)
        made = await _accounts(runtimes["identity"])
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=base_url, timeout=60))
        built = await _build_world(http, base_url, runtimes["identity"], gateway, admin_token, made)
        built.app = app
        yield built


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
    activities = {a["ideq"]: a for a in await _ok(await http.get("/api/v1/activities", headers=as_agent))}
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
        rows = (await http.get("/api/v1/declarations", headers=h[APPROBATEUR])).json()
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
    controls = await _ok(await http.post(f"{url}/controls", headers=h[APPROBATEUR]))
    flagged = [c["cle"] for c in controls["controles"] if c["a_justifier"]]
    for key in flagged:
        justification = {"texte": "Sorties du mercredi autorisées par la PMI.", "montant": "100"}
        await _ok(await http.put(f"{url}/justifications/{key}", headers=h[APPROBATEUR], json=justification))
    await _ok(await http.post(f"{url}/transmit", headers=h[APPROBATEUR], json={"signature": True}), 201)
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
        "token": "jeton-invente",
        "message_id": MADE_UP,
        "job_id": MADE_UP,
        "famille": "alsh",
        "famille_psu": "eaje_psu",
        "code": "CTG-MATRICE",
        "local": "bonus_territoire_montant_place_nouvelle",
        "parametre": parameter["nom"],
        "campaign_id": campaign,
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


# --- one cell ----------------------------------------------------------------------------------------------------


def _gateway_routes(app) -> set[tuple[str, str]]:
    found = set()
    for context in iter_route_contexts(app.routes):
        for method in context.methods or ():
            if method != "HEAD":
                found.add((method, context.path))
    return found


def _is_page(path: str) -> bool:
    return not path.startswith("/api/") and path not in ("/openapi.json", "/healthz", "/readyz", "/asyncapi.json")


async def _call(world: World, method: str, path: str, spec: Route, kind: str) -> httpx.Response:
    world.http.cookies.clear()  # each cell is its own caller: no session cookie left by an earlier answer
    values = {**world.ids, **{name: world.ids[key] for name, key in spec.params.items()}}
    url = re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)
    headers = world.headers(kind)
    if spec.cookies:
        headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in spec.cookies.items())
    options: dict[str, Any] = {"headers": headers}
    query = world.bodies[spec.query] if isinstance(spec.query, str) else spec.query
    if query:
        options["params"] = query
    if spec.form is not None:
        form = world.bodies[spec.form] if isinstance(spec.form, str) else spec.form
        options["data"] = {"csrf": world.csrf.get(kind, ""), **form}
    elif spec.csv is not None:
        options["content"] = spec.csv.encode()
        headers["Content-Type"] = "text/csv"
    elif spec.body is not None:
        options["json"] = world.bodies[spec.body] if isinstance(spec.body, str) else spec.body
    elif method in ("POST", "PUT"):
        options["json"] = None
    return await world.http.request(method, url, follow_redirects=False, **options)


def _verdict(path: str, spec: Route, kind: str, response: httpx.Response) -> str | None:
    """What is wrong with this answer for this cell, or None."""
    allowed, status = kind in spec.allowed, response.status_code
    to_login = status in (302, 303, 307) and response.headers.get("location", "").startswith("/connexion")
    to_login = to_login and not spec.ends_on_login_page
    if status >= 500:
        return f"server error {status}: {response.text[:200]}"
    if allowed:
        if status in (401, 403) or (to_login and kind != ANON):
            return f"allowed but refused ({status}): {response.text[:200]}"
        return None
    if kind == ANON:
        expected_anon = (to_login or status in REFUSALS) if _is_page(path) else status == 401
        return None if expected_anon else f"anonymous caller not refused (expected 401 / login page, got {status})"
    if status in REFUSALS:
        return None
    return f"should be refused (401/403/404) but got {status}: {response.text[:200]}"


# --- the tests ---------------------------------------------------------------------------------------------------


async def test_a_site_provider_reads_only_its_own_forms_through_every_route(world: World):
    """Issue 12, scope on every read: the provider of one site of the ALSH; the approbateur keeps the full view."""
    http, declaration = world.http, world.ids["declaration_id"]
    url = f"/api/v1/declarations/{declaration}"
    karim, paul, agent = world.headers(FDA_SITE), world.headers(APPROBATEUR), world.headers(CAF_LEC)

    version = (await http.get(f"{url}/versions/1", headers=karim)).json()
    assert [(f["type"], f["lieu"]) for f in version["formulaires"]] == [("activite", "École Jules Ferry")], version
    assert version["chiffres"] is None and version["estimation"]["disponible"] is False
    assert all(c["lieu"] == "École Jules Ferry" and c["formulaire"] == "activite" for c in version["controles"])
    assert "60000" not in str(version) and "produits_74_caf" not in str(version)
    full = (await http.get(f"{url}/versions/1", headers=paul)).json()
    assert len(full["formulaires"]) == 3 and full["chiffres"] and full["estimation"] == full["estimation"]
    assert (await http.get(f"{url}/versions/1", headers=agent)).json()["formulaires"] == full["formulaires"]

    [listed] = (await http.get(f"{url}/versions", headers=karim)).json()
    assert listed["accuse_reception"] is None and listed["estimation"]["disponible"] is False

    payments = f"/api/v1/activities/{world.ids['activity_id']}/payments?exercice={date.today().year + 1}"
    for path in (f"{url}/versions/1/accuse.pdf", f"{url}/estimate", f"{url}/entitlement", payments):
        refused = await http.get(path, headers=karim)
        assert refused.status_code == 403 and "réservés" in refused.json()["detail"], (path, refused.text)
        assert (await http.get(path, headers=paul)).status_code == 200, path
        assert (await http.get(path, headers=world.headers(FDF))).status_code == 200, path

    controls = (await http.get(f"{url}/controls", headers=karim)).json()
    assert controls["controles"] and {(c["formulaire"], c["lieu"]) for c in controls["controles"]} == {
        ("activite", "École Jules Ferry")
    }
    assert controls["estimation"]["disponible"] is False
    assert all("Victor Hugo" not in o and "financières" not in o for o in controls["obstacles"])
    everything = (await http.get(f"{url}/controls", headers=paul)).json()["controles"]
    assert {c["lieu"] for c in everything} > {"École Jules Ferry"} and any(
        c["formulaire"] != "activite" for c in everything
    )
    # Another site's form: refused as such, without saying whether an earlier declaration exists to take up
    prefill = await http.post(f"/api/v1/forms/{world.ids['form_id']}/prefill", headers=karim, json={"version": 1})
    assert prefill.status_code == 403, prefill.text
    run = await http.post(f"{url}/controls", headers=karim)  # transmitted: frozen, but never the whole budget
    assert run.status_code == 409, run.text

    # The pages: the receipt refused, no receipt link, the controls page limited to the site
    page = await http.get(f"/declarations/{declaration}/versions/1/accuse.pdf", headers=karim)
    assert page.status_code == 403 and "réservés" in page.text
    page = await http.get(f"/declarations/{declaration}", headers=karim)
    assert page.status_code == 200 and "accuse.pdf" not in page.text
    assert "accuse.pdf" in (await http.get(f"/declarations/{declaration}", headers=paul)).text
    page = await http.get(f"/declarations/{declaration}/controle", headers=karim)
    assert page.status_code == 200 and "Victor Hugo" not in page.text
    rows = (await http.get("/api/v1/declarations", headers=karim)).json()
    row = next(r for r in rows if r["id"] == declaration)
    assert "telecharger_accuse" not in [a["action"] for a in row["actions"]]


async def test_every_route_of_the_gateway_is_in_the_matrix(world: World):
    app_routes = _gateway_routes(world.app)
    missing = sorted(app_routes - set(MATRIX))
    assert not missing, f"routes of the public gateway missing from MATRIX (classify them): {missing}"
    stale = sorted(set(MATRIX) - app_routes)
    assert not stale, f"MATRIX names routes the gateway no longer has: {stale}"


async def test_every_route_times_every_caller(world: World):
    findings: list[str] = []
    app_routes = _gateway_routes(world.app)
    ordered = [(key, spec) for key, spec in MATRIX.items() if key in app_routes]
    last_calls: list[tuple[tuple[str, str], Route, str]] = []

    async def cell(method: str, path: str, spec: Route, kind: str) -> None:
        response = await _call(world, method, path, spec, kind)
        problem = _verdict(path, spec, kind, response)
        if problem:
            expected = "allowed" if kind in spec.allowed else "refused"
            findings.append(f"{method} {path} [{kind}] expected {expected}: {problem}")

    for method, path in NOT_PUBLIC:
        for kind in KINDS:
            world.http.cookies.clear()
            answer = await world.http.request(method, path, headers=world.headers(kind))
            if answer.status_code != 404:
                findings.append(f"{method} {path} [{kind}] expected 404 (not public): got {answer.status_code}")
    # Refusals first (they change nothing), then the allowed callers of the harmless routes
    for (method, path), spec in ordered:
        for kind in KINDS:
            if kind not in spec.allowed:
                await cell(method, path, spec, kind)
    for (method, path), spec in ordered:
        allowed = [k for k in KINDS if k in spec.allowed]
        if spec.destructive:
            if allowed:
                last_calls.append(((method, path), spec, spec.last_caller or allowed[-1]))
            continue
        for kind in allowed:
            await cell(method, path, spec, kind)
    # One allowed caller of each destructive route, at the very end (sessions ended last)
    last_calls.sort(key=lambda c: c[0][1] in ("/api/v1/auth/logout", "/deconnexion"))
    for (method, path), spec, kind in last_calls:
        await cell(method, path, spec, kind)
    assert not findings, f"{len(findings)} cell(s) of the authorization matrix fail:\n" + "\n".join(findings)
