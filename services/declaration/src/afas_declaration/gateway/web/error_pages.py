"""French HTML error pages for the pages' addresses; the API (``/api/``) and the machine endpoints keep JSON.

A person who mistypes an address, opens a malformed link or reloads the address a form posted to must land on a
page of the site saying what happened in French, with a way back, never on ``{"detail": "Not Found"}``. Which
answer a request gets is decided by its path alone (not by ``Accept``): a script calling ``/api/`` always gets the
JSON it parses, a browser on a page address always gets HTML.

A request refused by the rate limiter (a middleware, before any route) on a page address gets the same French page
(429, with ``Retry-After``): ``too_many_requests_page`` is the limiter's ``refusal``. A service behind the gateway
that does not answer gives a 503 page saying which one, with ``Retry-After``.

A GET on an address that only takes POST (the address left in the bar after a form was re-shown with its errors)
is redirected to the nearest page above it (``/caf/baremes/eaje_psu`` → ``/caf/baremes``), not answered 405.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from afas_declaration.gateway.api.validation_messages import french_validation_errors
from afas_declaration.gateway.web.pages import render
from afas_shared.french_plural import counted

log = logging.getLogger(__name__)

# Seconds a person is asked to wait before retrying when a service behind the gateway does not answer
RETRY_UNAVAILABLE_SECONDS = 5
# Addresses answered for programs, not people: their errors stay JSON
MACHINE_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/docs", "/redoc", "/docs/oauth2-redirect"})

TITLES = {
    400: "Demande incorrecte",
    401: "Connexion nécessaire",
    403: "Accès refusé",
    404: "Page introuvable",
    405: "Action impossible à cette adresse",
    409: "Action impossible",
    413: "Fichier trop volumineux",
    422: "Adresse ou saisie invalide",
    429: "Trop de demandes",
    500: "Erreur du service",
    502: "Service indisponible",
    503: "Service indisponible",
    504: "Service indisponible",
}
# What the person reads when the refusal carries no French sentence of its own (Starlette's defaults are English)
EXPLANATIONS = {
    404: "La page demandée n'existe pas ou n'existe plus. Vérifiez l'adresse, ou repartez de l'accueil.",
    405: "Cette adresse ne s'ouvre pas directement : repartez de la page d'où vous veniez.",
    422: "L'adresse demandée n'est pas valide (un identifiant ou un paramètre est mal formé). Vérifiez le lien "
    "utilisé, ou repartez de l'accueil.",
    429: "Trop de demandes en peu de temps : patientez quelques secondes puis réessayez.",
    500: "Une erreur inattendue est survenue. Vos données déjà enregistrées sont conservées ; réessayez dans quelques "
    "instants. Si l'erreur persiste, contactez votre Caf.",
    503: "Le service ne répond pas pour le moment : réessayez dans quelques instants.",
}
_ENGLISH_DEFAULT = re.compile(r"^[A-Za-z ]+$")  # "Not Found", "Method Not Allowed"…: never shown as such
# Addresses only posted to whose form is not on the page just above them
FORM_PAGES = ((re.compile(r"^/declarations/([^/]+)/justifications/[^/]+$"), "/declarations/{}/controle"),)


def is_page(path: str) -> bool:
    """True for an address people open in a browser (everything but the API, documents and probes)."""
    return not (
        path == "/api"
        or path.startswith("/api/")
        or path.startswith("/internal")
        or path.endswith(".json")
        or path in MACHINE_PATHS
    )


def _message(status: int, detail: Any) -> str:
    if isinstance(detail, str) and detail and not _ENGLISH_DEFAULT.match(detail):
        return detail  # the services' refusals are already French sentences
    return EXPLANATIONS.get(status, EXPLANATIONS[500] if status >= 500 else EXPLANATIONS[422])


def error_page(request: Request, status: int, message: str, headers: dict[str, str] | None = None) -> HTMLResponse:
    context = {
        "titre": TITLES.get(status, "Erreur du service" if status >= 500 else "Demande impossible"),
        "erreurs": [{"champ": None, "message": message}],
        "code": status,
    }
    response = render(request, "echec.html", context, status)
    for name, value in (headers or {}).items():
        if name.lower() in ("allow", "retry-after"):
            response.headers[name] = value
    return response


def _page_above(request: Request) -> str | None:
    """The page of the form that posted to ``request``'s address: named, or the nearest above that a GET opens."""
    for pattern, page in FORM_PAGES:
        found = pattern.match(request.url.path)
        if found:
            return page.format(*found.groups())
    segments = request.url.path.rstrip("/").split("/")
    while len(segments) > 1:
        segments.pop()
        candidate = "/".join(segments) or "/"
        scope = {"type": "http", "path": candidate, "method": "GET"}
        for route in request.app.router.routes:
            match, _ = route.matches(scope)
            if match == Match.FULL and is_page(candidate):
                return candidate
    return None


async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
    if not is_page(request.url.path):
        return await http_exception_handler(request, exc)
    if exc.status_code == 405 and request.method in ("GET", "HEAD"):
        # Reloading (or bookmarking) the address a form posted to: back to the page the form is on
        above = _page_above(request)
        if above:
            return RedirectResponse(above, status_code=303)
    headers = dict(exc.headers or {})
    if exc.status_code == 503:
        headers.setdefault("Retry-After", str(RETRY_UNAVAILABLE_SECONDS))
    return error_page(request, exc.status_code, _message(exc.status_code, exc.detail), headers)


def too_many_requests_page(scope: Any, seconds: int) -> Response | None:
    """The rate limiter's refusal on a page address: a French page with the wait in words; ``None`` for the API."""
    if not is_page(scope.get("path", "")):
        return None
    message = f"Trop de demandes en peu de temps : patientez {counted(seconds, 'seconde')} puis réessayez."
    return error_page(Request(scope), 429, message, {"Retry-After": str(seconds)})


async def validation_error(request: Request, exc: RequestValidationError) -> Response:
    if not is_page(request.url.path):
        return await french_validation_errors(request, exc)
    return error_page(request, 422, EXPLANATIONS[422])


async def unexpected_error(request: Request, exc: Exception) -> Response:
    # Logged with its trace by the server; the person gets a French page, a program the usual JSON shape
    log.error("unexpected error on %s %s: %s", request.method, request.url.path, type(exc).__name__)
    if not is_page(request.url.path):
        return JSONResponse({"detail": "Erreur interne du service."}, status_code=500)
    return error_page(request, 500, EXPLANATIONS[500])


def install(exception_handlers: dict[Any, Any]) -> None:
    """Registers the handlers (the JSON ones of the API stay what they were for ``/api/``)."""
    exception_handlers[StarletteHTTPException] = http_error
    exception_handlers[RequestValidationError] = validation_error
    exception_handlers[Exception] = unexpected_error
