"""Request validation errors with French messages, the field still named in ``loc``."""

from __future__ import annotations

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

FRENCH = {
    "missing": "Ce champ est obligatoire.",
    "string_too_short": "Ce champ ne peut pas être vide.",
    "string_too_long": "Ce champ est trop long.",
    "date_from_datetime_parsing": "Date invalide : utilisez le format AAAA-MM-JJ.",
    "date_parsing": "Date invalide : utilisez le format AAAA-MM-JJ.",
    "date_type": "Date invalide : utilisez le format AAAA-MM-JJ.",
    "literal_error": "Valeur non autorisée.",
    "enum": "Valeur non autorisée.",
    "bool_parsing": "Indiquez vrai ou faux.",
    "uuid_parsing": "Identifiant invalide.",
    "json_invalid": "Le corps de la requête n'est pas un JSON valide.",
    "model_attributes_type": "Le corps de la requête doit être un objet JSON.",
    "list_too_short": "Choisissez au moins une valeur.",
}


def _message(error: dict) -> str:
    if error["type"] == "value_error" and "email" in error.get("msg", "").lower():
        return "Adresse de messagerie invalide."
    return FRENCH.get(error["type"], error.get("msg", "Valeur invalide."))


async def french_validation_errors(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{"loc": list(e["loc"]), "msg": _message(e), "type": e["type"]} for e in exc.errors()]
    return JSONResponse({"detail": errors}, status_code=422)
