"""How a client proves who it is, in the OpenAPI: the schemes, and on each route the ones it accepts.

A route needs a session when it depends on the gateway's caller (``session.caller.caller_dependency``): found from
the routes themselves, so a new route is documented as it is protected. Such a route takes a user's session token,
the operator's token, or the pages' ``afas_session`` cookie — with the page's CSRF token on a call that writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from afas_declaration.gateway.session.caller import CSRF_HEADER, SAFE_METHODS

SESSION_COOKIE = "afas_session"
SCHEMES: dict[str, dict[str, Any]] = {
    "session": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "Jeton de session d'un utilisateur (POST /api/v1/auth/login), renouvelé par l'en-tête "
        "X-Session-Token des réponses ; expire après 30 minutes sans activité",
    },
    "operator": {
        "type": "http",
        "scheme": "bearer",
        "description": "Jeton d'administration de l'exploitation (AFAS_ADMIN_TOKEN)",
    },
    "sessionCookie": {
        "type": "apiKey",
        "in": "cookie",
        "name": SESSION_COOKIE,
        "description": "Cookie de session des pages de l'application",
    },
    "csrf": {
        "type": "apiKey",
        "in": "header",
        "name": CSRF_HEADER,
        "description": "Jeton CSRF de la page : exigé avec le cookie de session sur un appel qui modifie",
    },
}
# A route only the operator may call (it depends on the operator's token, not on a session)
OPERATOR_ONLY: list[dict[str, list[str]]] = [{"operator": []}]


def requirements(method: str) -> list[dict[str, list[str]]]:
    """Any one of these proves the caller: a bearer token, or the cookie (plus the CSRF token if it writes)."""
    cookie: dict[str, list[str]] = {"sessionCookie": []}
    if method.upper() not in SAFE_METHODS:
        cookie["csrf"] = []
    return [{"session": []}, {"operator": []}, cookie]


def document_security(schema: dict[str, Any], routes: Iterable[Any], caller: Callable[..., Any]) -> None:
    """Add the schemes, and ``security`` on each operation whose route depends on ``caller`` (kept if declared)."""
    schema.setdefault("components", {}).setdefault("securitySchemes", {}).update(SCHEMES)
    for route in routes:
        if not isinstance(route, APIRoute) or not _depends_on(route.dependant, caller):
            continue
        operations = schema.get("paths", {}).get(route.path_format, {})
        for method in route.methods or ():
            operation = operations.get(method.lower())
            if operation is not None:
                operation.setdefault("security", requirements(method))


def _depends_on(dependant: Dependant, call: Callable[..., Any]) -> bool:
    return any(d.call is call or _depends_on(d, call) for d in dependant.dependencies)
