"""One example of a contract model, built from the model itself: what the AsyncAPI documents show for every message.

A value comes, in this order, from the field's own ``examples`` (``Field(examples=[…])``), from :data:`NAMED` by
field name (values a Caf reader recognises: a Caf code, an exercice, amounts as decimal text), then from the type
(a constrained string by its pattern in :data:`PATTERNS`). A model whose config carries a hand-written example
(``rpc.base.example``) is shown with it. The result is validated by the model and dumped by it, so an example
always reads back as the contract says; a field no rule can fill raises :class:`NoExample` where the documents are
generated, instead of an example the contract would refuse.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import types
import typing
import uuid
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from afas_shared.contracts.envelope import READING

# Every example id is derived from its field's name: the same activity_id in every message, as in one real run.
_NAMESPACE = uuid.UUID("6f1c2b0e-8a53-4b8e-9a57-0c2f1e0a4d17")
MOMENT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
DAY = date(2026, 3, 2)

NAMED: dict[str, Any] = {
    "caf_code": "080",
    "exercice": 2026,
    "family": "eaje_psu",
    "nature": "multi_accueil",
    "declaration_type": "previsionnelle",
    "kind": "activite",
    "form_version": 1,
    "declaration_version": 1,
    "aggregate_version": 1,
    "bareme_version": 3,
    "version": 1,
    "number": 1,
    "capacity": 40,
    "blocking": 0,
    "flagged": 1,
    "ready": True,
    "requested": True,
    "delegated": True,
    "provisional": False,
    "revision": False,
    "forecast_gap_justified": False,
    "name": "Multi-accueil Les Lucioles",
    "label": "Convention d'accès AFAS",
    "site_mode": "mono_lieu",
    "role": "approbateur",
    "validation": "not_required",
    "identifier": "200000003",
    "identifiant": "200000003",
    "last_name": "Petit",
    "first_name": "Sophie",
    "nom": "Petit",
    "prenom": "Sophie",
    "email": "sophie.petit@amiens.example",
    "siret": "21800021000011",
    "equipment_id": "EAJE0801",
    "afc_file": "AFC-080-2024-0142",
    "mobility": "sedentaire",
    "group": "AFAS-DECLARER",
    "parameter": "prix_plafond_horaire",
    "old_value": "8.86",
    "new_value": "9.02",
    "provenance": "Circulaire Cnaf 2026-001 du 15 janvier 2026",
    "reason": "Erreur de saisie du nombre d'heures facturées",
    "comment": "Le nombre d'heures facturées ne correspond pas au bilan : merci de le corriger.",
    "payment_key": "2026:acompte_1:1",
    "policy_id": "national",
    "trigger": "Validation de la déclaration prévisionnelle 2026",
    "explanation": "70 % du droit estimé de la déclaration prévisionnelle validée",
    "amount": "40852.00",
    "old_amount": "40852.00",
    "new_amount": "41598.40",
    "estimate": "58360.00",
    "error": None,
    "figures": {"heures_facturees": "61200.00", "heures_realisees": "58340.50", "nombre_places": "40"},
    "flagged_justified": ["taux_facturation_eleve"],
    "opening_date": date(2024, 1, 1),
    "activity_opening_date": date(2024, 1, 1),
    "closing_date": date(2026, 12, 31),
    "deadline": date(2026, 3, 31),
    "due_date": date(2026, 4, 15),
    "start_date": date(2026, 1, 1),
    "end_date": date(2026, 12, 31),
    "applies_from": date(2026, 1, 1),
    "CampaignOpenedV1.opening_date": date(2026, 1, 15),
    "CampaignOpenedV1.form_version": "2026.1",
    "PaymentScheduledV1.kind": "acompte_1",
    "PaymentScheduledV1.label": "Premier acompte 2026",
    "PaymentScheduledV1.amount": "40852.00",
    "ActivityClosedV1.closing_date": date(2026, 8, 31),
    "ExpectedFormV1.kind": "activite",
    "ConventionSignedV1.label": "Convention d'accès AFAS",
    "SessionRevokedV1.reason": "logout",
    "GrantEndedV1.reason": "ended",
    "GrantRejectedV1.reason": "L'approbateur désigné n'est pas le représentant légal du partenaire",
    "DeclarationCancelledV1.reason": "Activité fermée avant le début de l'exercice",
    "DeclarationRefusedV1.reason": "Les heures réalisées ne correspondent pas au bilan d'activité",
    "UserSuspendedV1.reason": "Départ de la structure",
    "PartnerRegisteredV1.name": "Commune d'Amiens",
    "PartnerUpdatedV1.name": "Commune d'Amiens",
}

# A constrained string no name above covers, by the pattern its schema states.
PATTERNS: dict[str, str] = {
    r"^\d{3}$": "080",
    r"^\d{9}$": "200000003",
    r"^\d{14}$": "21800021000011",
    r"^[0-9a-f]{64}$": hashlib.sha256(b"AFAS example").hexdigest(),
    r"^-?\d+\.\d{2}$": "40852.00",
}


class NoExample(ValueError):
    """A field of a contract that no rule here can fill: give it ``Field(examples=[…])``."""


def example_of(model: type[BaseModel]) -> dict[str, Any] | list[Any]:
    """The model's hand-written example if it has one (and the model accepts it), else one built field by field;
    as the model dumps it."""
    built = model.model_validate(_model_value(model, model.__name__), context={READING: True})
    return built.model_dump(mode="json", by_alias=True)


def example_uuid(name: str) -> uuid.UUID:
    return uuid.uuid5(_NAMESPACE, name)


def _model_value(model: type[BaseModel], where: str) -> Any:
    extra = model.model_config.get("json_schema_extra")
    examples = extra.get("examples") if isinstance(extra, dict) else None
    for given in examples if isinstance(examples, list) else []:
        try:
            model.model_validate(given, context={READING: True})
        except ValueError:  # a hand-written example the model has outgrown: build one instead
            continue
        return given
    return _fields_of(model, where)


def _fields_of(model: type[BaseModel], where: str) -> dict[str, Any]:
    return {
        (info.alias or name): _value(name, info.annotation, info, f"{where}.{name}")
        for name, info in model.model_fields.items()
    }


def _value(name: str, annotation: Any, info: FieldInfo | None, where: str) -> Any:
    if info is not None and info.examples:
        return info.examples[0]
    for key in (".".join(where.split(".")[-2:]), name):  # `PaymentScheduledV1.kind` before any `kind`
        if key in NAMED and _fits(NAMED[key], annotation):
            return NAMED[key]
    return _of_type(name, annotation, info, where)


def _of_type(name: str, annotation: Any, info: FieldInfo | None, where: str) -> Any:  # noqa: PLR0911, C901
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin is typing.Annotated:
        inner = next((m for m in args[1:] if isinstance(m, FieldInfo)), None)
        return _value(name, args[0], inner, where)
    if origin in (typing.Union, types.UnionType):
        chosen = [a for a in args if a is not type(None)] or [type(None)]
        return _of_type(name, chosen[0], info, where)
    if origin is typing.Literal:
        return args[0]
    if origin in (list, set, frozenset, tuple) or (origin is not None and _is_sequence(origin)):
        if origin is tuple and args and args[-1] is not Ellipsis:
            return [_of_type(name, a, None, where) for a in args]
        return [_of_type(name, args[0] if args else str, None, where)]
    if origin is dict or (origin is not None and _is_mapping(origin)):
        key = _of_type(f"{name}_key", args[0] if args else str, None, where) if args else "key"
        return {key: _of_type(name, args[1] if args else str, None, where)}
    if annotation is type(None):
        return None
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return _model_value(annotation, where)
        if issubclass(annotation, bytes):  # on the wire as base64 text
            return base64.b64encode(b"ideq;nom\nEAJE0801;Multi-accueil Les Lucioles\n").decode()
        if issubclass(annotation, enum.Enum):
            return next(iter(annotation)).value
        if issubclass(annotation, bool):
            return True
        if issubclass(annotation, int):
            return max(1, _bound(info, "ge") or 0, (_bound(info, "gt") or 0) + 1)
        if issubclass(annotation, float):
            return 1.0
        if issubclass(annotation, Decimal):
            return Decimal("1234.50")
        if issubclass(annotation, uuid.UUID):
            return example_uuid(name)
        if issubclass(annotation, datetime):
            return MOMENT
        if issubclass(annotation, date):
            return DAY
        if issubclass(annotation, time):
            return time(9, 30)
        if issubclass(annotation, str):
            return _text(name, info, where)
    if annotation is Any or annotation is object:
        return {}
    if getattr(annotation, "__name__", "") == "EmailStr":
        return NAMED["email"]
    raise NoExample(f"{where}: no example for {annotation!r}")


def _text(name: str, info: FieldInfo | None, where: str) -> str:
    pattern = _pattern(info)
    if pattern is None:
        return name.replace("_", " ")
    if pattern in PATTERNS:
        return PATTERNS[pattern]
    raise NoExample(f"{where}: no example for a text matching {pattern}")


def _pattern(info: FieldInfo | None) -> str | None:
    for meta in info.metadata if info else ():
        if (pattern := getattr(meta, "pattern", None)) is not None:
            return pattern if isinstance(pattern, str) else pattern.pattern
    return None


def _bound(info: FieldInfo | None, kind: str) -> int | None:
    for meta in info.metadata if info else ():
        if (value := getattr(meta, kind, None)) is not None:
            return int(value)
    return None


def _fits(value: Any, annotation: Any) -> bool:
    """Whether a named value suits this field's type (``kind`` is a form's kind here, a payment's there)."""
    if value is None:
        return "None" in repr(annotation) or annotation is type(None)
    if isinstance(value, str) and "Literal" in repr(annotation):
        return value in _literals(annotation)
    wanted = {str: "str", bool: "bool", int: "int", date: "date", dict: "dict", list: "list"}
    return any(isinstance(value, t) and n in repr(annotation) for t, n in wanted.items())


def _literals(annotation: Any) -> set[Any]:
    found: set[Any] = set()
    for arg in typing.get_args(annotation):
        if typing.get_origin(arg) is typing.Literal:
            found |= set(typing.get_args(arg))
        elif not isinstance(arg, type):
            found.add(arg)
    return found


def _is_sequence(origin: Any) -> bool:
    import collections.abc as abc

    return isinstance(origin, type) and issubclass(origin, abc.Sequence) and not issubclass(origin, str)


def _is_mapping(origin: Any) -> bool:
    import collections.abc as abc

    return isinstance(origin, type) and issubclass(origin, abc.Mapping)
