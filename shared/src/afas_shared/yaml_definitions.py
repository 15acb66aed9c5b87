"""YAML definition files (forms, controls, barèmes, payment policies): read strictly, checked by pydantic models,
and every refusal turned into one message naming the file, the place inside it and the reason.

Whoever edits a data file fixes it alone from that message: ``2030.1/demo.yaml: forms.financier.sections[charges]
.fields[charges_60].min: expected a number, got 'beaucoup'``. A list item is named by its ``id`` when it has one,
by its position otherwise. The models raise ``Refusal`` for every rule, so the wording is the platform's, never
pydantic's (a value left to pydantic's own type check is said the same way: ``expected a text, got 3``); the code
that builds domain values from a checked model raises ``Refusal`` too, with the place.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import yaml
from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, model_validator

from afas_shared.strict_yaml import StrictLoader

T = TypeVar("T")
Place = Sequence[str | int]


class Refusal(ValueError):
    """A rule of a definition file is broken; ``at`` is the place below the value being checked, if any."""

    def __init__(self, message: str, *at: str | int) -> None:
        super().__init__(message)
        self.message = message
        self.at = at


class DefinitionModel(BaseModel):
    """One mapping of a definition file: its keys are the fields (by alias), an unknown or missing one is refused.

    Strict: YAML already gives typed values, and ``required: "yes"`` must be refused, not read as true.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, arbitrary_types_allowed=True)

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        fields = {field.alias or name: field for name, field in cls.model_fields.items()}
        return known_keys(data, fields, [key for key, field in fields.items() if field.is_required()])


def known_keys(data: Any, allowed: Iterable[str], required: Iterable[str]) -> dict[Any, Any]:
    """``data`` if it is a mapping of ``allowed`` keys holding every ``required`` one; else the first problem."""
    if not isinstance(data, dict):
        raise Refusal(f"expected a mapping, got {type(data).__name__}")
    allowed = set(allowed)
    unknown = sorted(str(key) for key in data if key not in allowed)
    if unknown:
        raise Refusal(f"unknown key(s) {', '.join(map(repr, unknown))}; allowed: {sorted(allowed)}")
    missing = sorted(key for key in required if key not in data)
    if missing:
        raise Refusal(f"missing key(s) {', '.join(map(repr, missing))}")
    return data


def text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Refusal("expected a non-empty text")
    return value.strip()


def _optional_text(value: Any) -> str | None:
    return None if value is None else text(value)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise Refusal(f"expected true or false, got {value!r}")
    return value


def non_empty_list(value: Any) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise Refusal("expected a non-empty list")
    return value


Text = Annotated[str, BeforeValidator(text)]
OptionalText = Annotated[str | None, BeforeValidator(_optional_text)]
Flag = Annotated[bool, BeforeValidator(_flag)]


def read_yaml(path: Path | Traversable, source: str, error: type[Exception]) -> Any:
    """The parsed content of ``path``; ``error`` naming ``source`` if it is not YAML or repeats a key."""
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=StrictLoader)
    except yaml.YAMLError as problem:
        raise error(f"{source}: not valid YAML: {problem}") from None


def checked(build: Callable[[Any], T], raw: Any, source: str, error: type[Exception], separator: str = ".") -> T:
    """``build(raw)``, its first refusal raised as ``error``: ``<source>: <place>: <reason>``.

    ``separator`` joins the keys of the place (``forms.financier`` or, for payment policies, ``cap: percent``).
    """
    try:
        return build(raw)
    except ValidationError as problem:
        first = problem.errors(include_url=False)[0]
        cause = first.get("ctx", {}).get("error")
        place = list(first["loc"])
        if isinstance(cause, Refusal):
            place += cause.at
        reason = cause.message if isinstance(cause, Refusal) else _reason(first["type"], first["input"], first["msg"])
        raise error(_message(source, place, raw, separator, reason)) from None
    except Refusal as refusal:
        raise error(_message(source, refusal.at, raw, separator, refusal.message)) from None


# What a value of a field left to pydantic's own type check should have been (the rules raise ``Refusal``)
_EXPECTED = {
    "string_type": "a text",
    "int_type": "an integer",
    "bool_type": "true or false",
    "dict_type": "a mapping",
    "list_type": "a list",
    "tuple_type": "a list",
    "date_type": "a YYYY-MM-DD date",
    "decimal_type": "a number",
}


def _reason(kind: str, value: Any, fallback: str) -> str:
    expected = _EXPECTED.get(kind)
    return f"expected {expected}, got {value!r}" if expected else fallback


def _message(source: str, place: Place, raw: Any, separator: str, reason: str) -> str:
    where = _where(place, raw, separator)
    return f"{source}: {where}: {reason}" if where else f"{source}: {reason}"


def _where(place: Place, raw: Any, separator: str) -> str:
    parts: list[str] = []
    node = raw
    for step in place:
        if step == "[key]":  # pydantic's mark of a refused key: the key already names the place
            continue
        if isinstance(step, int):
            node = node[step] if isinstance(node, list) and 0 <= step < len(node) else None
            name = node.get("id") if isinstance(node, dict) else None
            label = f"[{name if isinstance(name, str) else step}]"
            if parts:
                parts[-1] += label
            else:
                parts.append(label)
        else:
            # pydantic names a key that is not text by its repr: ``datetime.date(2024, 1, 1)`` is 2024-01-01 here
            key = (
                next((k for k in node if k == step or step in (repr(k), str(k))), step)
                if isinstance(node, dict)
                else step
            )
            parts.append(str(key))
            node = node.get(key) if isinstance(node, dict) else None
    return separator.join(parts)
