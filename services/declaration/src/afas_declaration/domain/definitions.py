"""The values form definitions and coherence controls both write, each with the one rule that checks it.

Used as field types of the pydantic models of both files (``forms.schema``, ``controls.schema``); a broken rule
raises ``Refusal``, which ``afas_shared.yaml_definitions.checked`` turns into a message naming file and place.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Iterable
from typing import Annotated, Any

from pydantic import BeforeValidator, ValidationInfo

from afas_declaration.domain.forms.expressions import Expression, ExpressionError, parse_expression
from afas_shared.yaml_definitions import Flag, OptionalText, Refusal, Text, non_empty_list, text

__all__ = [
    "Flag",
    "Identifier",
    "OptionalText",
    "Text",
    "expression",
    "identifier",
    "non_empty_list",
    "one_of",
    "stored_family",
    "subset",
    "text",
]

_ID = re.compile(r"[a-z][a-z0-9_]*")
# ``sum`` is a function of the expressions, so no field (nor anything else) may be called so
_RESERVED = {"sum"}


def identifier(value: Any) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value) or keyword.iskeyword(value) or value in _RESERVED:
        raise Refusal(f"invalid id {value!r}: expected snake_case ([a-z][a-z0-9_]*), not a keyword")
    return value


def expression(value: Any) -> Expression:
    """``value`` parsed as an expression of the forms' language (see ``forms.expressions``)."""
    try:
        return parse_expression(value)
    except ExpressionError as error:
        raise Refusal(str(error)) from None


def one_of(value: Any, allowed: Iterable[str], what: str) -> str:
    """``value`` if it is one of ``allowed``; else "unknown <what> …; allowed: …"."""
    allowed = list(allowed)
    if value not in allowed:
        raise Refusal(f"unknown {what} {value!r}; allowed: {allowed}")
    return str(value)


def subset(value: Any, allowed: Iterable[str]) -> tuple[str, ...]:
    """A non-empty list of ``allowed`` values, without repeats, in the order written."""
    allowed = list(allowed)
    unknown = [item for item in non_empty_list(value) if item not in allowed]
    if unknown:
        raise Refusal(f"unknown value(s) {unknown}; allowed: {allowed}")
    return tuple(dict.fromkeys(value))


def stored_family(value: Any, info: ValidationInfo) -> Any:
    """The ``family`` a file declares must be the one its name says (``info.context["family"]``)."""
    expected = (info.context or {})["family"]
    if value != expected:
        raise Refusal(f"file declares family {value!r} but is stored as {expected!r}")
    return value


Identifier = Annotated[str, BeforeValidator(identifier)]
