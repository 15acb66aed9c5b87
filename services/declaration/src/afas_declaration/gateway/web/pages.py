"""What every page shares: templates, the session cookie, CSRF tokens, French formatting.

The browser holds the identity session token in an HttpOnly, SameSite=Strict cookie (never readable by
scripts); the sliding refresh renews the cookie. Every form carries a CSRF token derived from the session id,
and the API accepts the cookie for unsafe methods only with that token in ``X-CSRF-Token`` (see ``caller``).
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from fastapi import HTTPException, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from afas_declaration.domain import estimate_wording
from afas_declaration.domain.access_policy import Access, Standing
from afas_declaration.domain.controls.french import french_number as domain_french_number
from afas_declaration.gateway.session.caller import SESSION_HEADER, Caller, csrf_for
from afas_declaration.gateway.web import figures, labels
from afas_shared.auth.caller import forwarded_caller
from afas_shared.cafs import CAFS, caf_name
from afas_shared.clock import PARIS
from afas_shared.french_plural import plural, unit_for

COOKIE = "afas_session"
TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
NBSP = "\u00a0"


def french_number(value: Any, decimals: int | None = None) -> str:
    """A figure of a page in French notation (« 12 500,50 »); « — » when empty, as typed when not a number."""
    if value is None or value == "":
        return "—"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return domain_french_number(number, decimals=decimals)


def euros(value: Any) -> str:
    return "—" if value in (None, "") else f"{french_number(value, 2)}{NBSP}€"


def french_date(value: Any) -> str:
    if not value:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value) if "T" in value else date.fromisoformat(value)
    if isinstance(value, datetime):
        local = value.astimezone(PARIS)
        return f"{local:%d/%m/%Y} à {local:%H:%M}"
    return f"{value:%d/%m/%Y}"


environment = Environment(
    loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True
)
environment.filters.update(nombre=french_number, euros=euros, date_fr=french_date)
# Codes never reach a page as such: families, natures and field ids read as their labels (see ``labels``)
environment.filters.update(
    famille=labels.family_label,
    nature=labels.nature_label,
    libelles_champs=labels.with_field_labels,
    sans_codes=labels.without_codes,
    nom_caf=lambda code: caf_name(code) or code or "—",
    etat=labels.state_label,
    decision=labels.decision_label,
    statut_controle=labels.control_status_label,
)
# A unit written in the plural agrees with its figure: {{ c.unite|unite(c.valeur) }} → « 1 place », « 40 places »
environment.filters.update(unite=lambda unit, count: unit_for(count, unit))
# A word agreeing with its count: {{ n }} {{ 'campagne'|pluriel(n) }} → « 1 campagne », « 3 campagnes »
environment.filters.update(pluriel=lambda word, count, plural_form=None: plural(count, word, plural_form))
environment.globals.update(
    CAFS_CHOIX={code: caf.name for code, caf in sorted(CAFS.items(), key=lambda item: item[1].departement)},
    estimation_partielle=estimate_wording.is_partial,
    avis_estimation_partielle=estimate_wording.partial_notice,
    avertissements_estimation=estimate_wording.warnings,
    LIBELLE_PRESTATION=estimate_wording.PRESTATION_LABEL,
    LIBELLE_PARTIEL=estimate_wording.PARTIAL_LABEL,
    entrees_calcul=figures.typed_inputs,
    calculable=figures.computable,
)


@dataclass
class Viewer:
    """The signed-in user as the pages see it: who, what it may do, and its CSRF token."""

    caller: Caller
    csrf: str
    name: str = ""
    kind: str = "partner"
    caf_roles: list[str] = field(default_factory=list)
    groups: list[str] = field(default_factory=list)
    previous_login: str | None = None

    @property
    def is_caf(self) -> bool:
        return self.kind == "caf"

    @property
    def is_admin(self) -> bool:
        return "AFAS-HABILITER" in self.groups

    @property
    def caf_standing(self) -> Standing:
        """What the viewer is to its own Caf, by the one access policy: a page offers what the service accepts."""
        return Access(forwarded_caller(self.caller.rpc())).on_own_caf()


def render(
    request: Request, template: str, context: dict[str, Any], status_code: int = 200, viewer: Viewer | None = None
) -> HTMLResponse:
    html = environment.get_template(template).render(request=request, viewer=viewer, **context)
    response = HTMLResponse(html, status_code=status_code)
    refresh_cookie(request, response)
    return response


def refresh_cookie(request: Request, response: Response) -> None:
    fresh = getattr(request.state, "fresh_token", None)
    if fresh:
        set_session_cookie(request, response, fresh)


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(COOKIE, token, httponly=True, samesite="strict", secure=request.url.scheme == "https", path="/")


def redirect(request: Request, url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    refresh_cookie(request, response)
    return response


def viewer_dependency(current_caller, secret: str, who_am_i):
    """A page's signed-in user, or a redirect to the login page (keeping where the user was going)."""

    async def viewer(request: Request) -> Viewer:
        probe = Response()
        try:
            caller = await current_caller(request, probe)
        except HTTPException as refusal:
            if refusal.status_code == 503:  # the session may be valid: a login page could not help either
                raise PageUnavailable(str(refusal.detail)) from None
            if refusal.status_code == 403 and "mot de passe" in str(refusal.detail):
                raise PageRedirect("/mot-de-passe?obligatoire=1") from None
            raise PageRedirect(f"/connexion?suite={request.url.path}") from None
        if probe.headers.get(SESSION_HEADER):
            request.state.fresh_token = probe.headers[SESSION_HEADER]
        claims = caller.claims
        try:
            me = await who_am_i(caller) if caller.user_id else {}
        except HTTPException as refusal:
            if refusal.status_code != 401:
                raise
            # The token still verified, but identity knows the session ended (logged out in another tab)
            raise PageRedirect(f"/connexion?suite={request.url.path}") from None
        return Viewer(
            caller=caller,
            csrf=csrf_for(secret, caller.session_id or "operateur"),
            name=f"{me.get('prenom', '')} {me.get('nom', '')}".strip() or "Opérateur",
            kind=claims.get("kind", "operator"),
            caf_roles=list(claims.get("caf_roles", [])),
            groups=list(claims.get("groups", [])),
            previous_login=me.get("derniere_connexion"),
        )

    return viewer


class PageRedirect(Exception):
    def __init__(self, url: str) -> None:
        self.url = url


async def redirect_to_login(request: Request, exc: PageRedirect) -> RedirectResponse:
    return RedirectResponse(exc.url, status_code=303)


class PageUnavailable(Exception):
    """The session cannot be checked right now (identity's keys): a page saying so, not the login page."""


async def unavailable_page(request: Request, exc: PageUnavailable) -> HTMLResponse:
    context = {"titre": "Service indisponible", "erreurs": [{"champ": None, "message": str(exc)}]}
    response = render(request, "echec.html", context, 503)
    response.headers["Retry-After"] = "5"
    return response


def check_csrf(viewer: Viewer, submitted: str | None) -> None:
    if not submitted or not hmac.compare_digest(submitted, viewer.csrf):
        raise HTTPException(403, "Jeton de sécurité du formulaire invalide : rechargez la page.")
