"""The refusals the public API answers, documented once: each route lists the statuses it can return.

Every refusal is ``{"detail": "<message en français>"}``, except a rejected input (422), whose ``detail`` lists
the fields at fault with their French message (``validation_messages``, and a service's refusal of a field).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Refusal(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"detail": "Authentification requise."}]})

    detail: str = Field(description="Le motif du refus, en français")


class FieldError(BaseModel):
    loc: list[str | int] = Field(
        description="Où : body, query ou path, puis le nom du champ", examples=[["body", "nom"]]
    )
    msg: str = Field(examples=["Ce champ est obligatoire."])
    type: str = Field(examples=["missing"])


class InvalidInput(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"detail": [{"loc": ["body", "nom"], "msg": "Ce champ est obligatoire.", "type": "missing"}]}]
        }
    )

    # a list of fields at fault; a message alone when the whole body is refused (e.g. a file not in UTF-8)
    detail: list[FieldError] | str


MEANINGS = {
    401: "Session absente, expirée ou révoquée (en-tête WWW-Authenticate: Bearer)",
    403: "Action non permise à l'utilisateur (rôle, périmètre, mot de passe à changer, jeton CSRF d'une page)",
    404: "Introuvable, ou hors du périmètre de l'utilisateur",
    409: "Conflit : saisie concurrente, état qui ne le permet pas, ou Idempotency-Key déjà utilisée",
    413: "Requête trop volumineuse",
    415: "Type de fichier refusé",
    422: "Données refusées : chaque champ en cause, avec son message",
    429: "Trop de requêtes : réessayer après le délai de l'en-tête Retry-After",
    503: "Un service de la plateforme ne répond pas : réessayer plus tard",
}
# What every route behind a session can answer: no session, a session that may not act, too many requests.
SESSION = (401, 403, 429)


def refusals(*statuses: int, meanings: dict[int, str] | None = None) -> dict[int | str, dict[str, Any]]:
    """The ``responses`` of a route: each status it can refuse with, its model and its meaning (``meanings``: a
    route's own words for some of them)."""
    own = meanings or {}
    return {
        status: {"model": InvalidInput if status == 422 else Refusal, "description": own.get(status, MEANINGS[status])}
        for status in sorted(set(statuses) | set(own))
    }
