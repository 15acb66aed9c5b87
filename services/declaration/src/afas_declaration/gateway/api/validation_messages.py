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
    "int_parsing": "Nombre entier attendu.",
    "int_type": "Nombre entier attendu.",
    "int_from_float": "Nombre entier attendu.",
    "float_parsing": "Nombre attendu.",
    "float_type": "Nombre attendu.",
    "decimal_parsing": "Nombre attendu.",
    "decimal_type": "Nombre attendu.",
    "finite_number": "Nombre attendu.",
    "string_type": "Texte attendu.",
    "bool_type": "Indiquez vrai ou faux.",
    "list_type": "Liste de valeurs attendue.",
    "dict_type": "Objet JSON attendu.",
    "uuid_type": "Identifiant invalide.",
    "extra_forbidden": "Champ inconnu.",
    "too_long": "Trop de valeurs.",
    "string_pattern_mismatch": "Format invalide.",
}
# Bounds, with the limit the input crossed (pydantic gives it in ``ctx``)
BOUNDS = {
    "greater_than_equal": ("ge", "Valeur trop petite : au moins {}."),
    "greater_than": ("gt", "Valeur trop petite : plus de {}."),
    "less_than_equal": ("le", "Valeur trop grande : au plus {}."),
    "less_than": ("lt", "Valeur trop grande : moins de {}."),
}


def _message(error: dict) -> str:
    if error["type"] == "value_error" and "email" in error.get("msg", "").lower():
        return "Adresse de messagerie invalide."
    if error["type"] in BOUNDS:
        key, text = BOUNDS[error["type"]]
        if key in error.get("ctx", {}):
            return text.format(error["ctx"][key])
    # a validator's own French message (e.g. afas_shared.text), without pydantic's English prefix
    return FRENCH.get(error["type"], error.get("msg", "Valeur invalide.").removeprefix("Value error, "))


async def french_validation_errors(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = [{"loc": list(e["loc"]), "msg": _message(e), "type": e["type"]} for e in exc.errors()]
    return JSONResponse({"detail": errors}, status_code=422)
