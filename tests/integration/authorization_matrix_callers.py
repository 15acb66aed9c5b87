"""The authorization matrix's callers: the kinds of caller, the accounts behind them, and how a route is described.

Shared by ``authorization_matrix_routes.py`` (the route table), ``authorization_matrix_world.py`` (the platform
the matrix runs against) and ``test_authorization_matrix.py`` (the tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
