"""Which characters a text typed by a person may hold: one rule for every service and every way in.

Refused everywhere: C0 controls (NUL, U+0001–U+001F) and DEL, C1 controls (U+0080–U+009F), the
bidirectional embeddings and overrides (U+202A–U+202E) and isolates (U+2066–U+2069) that make a name
display as something else (« Trojan Source »), the line and paragraph separators (U+2028, U+2029), and
lone surrogates. A multi-line text (a comment, a justification) may also hold line feeds, carriage
returns and tabs. ``forbidden_character`` says what is wrong; ``InputModel`` applies it to every text
field of a request body, so each field is named in the 422.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ValidationInfo, field_validator

from afas_shared.refusals import Invalid

_MULTILINE_ALLOWED = frozenset("\n\r\t")
_BIDI = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
_SEPARATORS = frozenset("\u2028\u2029")


def _forbidden(char: str, multiline: bool) -> bool:
    code = ord(char)
    if code < 0x20 or code == 0x7F or 0x80 <= code <= 0x9F:
        return not (multiline and char in _MULTILINE_ALLOWED)
    return char in _BIDI or char in _SEPARATORS or 0xD800 <= code <= 0xDFFF


def forbidden_character(value: str, *, multiline: bool = False) -> str | None:
    """A French description of the first character ``value`` may not hold, or None."""
    for char in value:
        if _forbidden(char, multiline):
            return f"Caractère interdit (U+{ord(char):04X}) : retirez les caractères de contrôle ou de direction."
    return None


def check_text(value: str, *, multiline: bool = False) -> str:
    """``value`` itself, or ValueError naming the forbidden character (for pydantic validators)."""
    if (problem := forbidden_character(value, multiline=multiline)) is not None:
        raise ValueError(problem)
    return value


def _single_line(value: str) -> str:
    return check_text(value)


def _multi_line(value: str) -> str:
    return check_text(value, multiline=True)


# For a model that is not an InputModel (in an InputModel, list the field in ``multiline_fields`` instead)
SingleLineText = Annotated[str, AfterValidator(_single_line)]
MultiLineText = Annotated[str, AfterValidator(_multi_line)]


def _check_nested(value: Any, multiline: bool) -> Any:
    if isinstance(value, str):
        check_text(value, multiline=multiline)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            _check_nested(item, multiline)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_nested(key, False)
            _check_nested(item, multiline)
    return value


class InputModel(BaseModel):
    """A request body whose every text field (lists and mappings included) follows the rule above.

    Fields are single-line unless named in ``multiline_fields``; nested models check themselves.
    """

    multiline_fields: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="after")
    @classmethod
    def _no_control_characters(cls, value: Any, info: ValidationInfo) -> Any:
        return _check_nested(value, info.field_name in cls.multiline_fields)


def refuse_forbidden_characters(value: str | None, field: str, *, multiline: bool = False) -> None:
    """For use cases reached without a validated body (web forms): an ``Invalid`` refusal naming ``field``."""
    if value and (problem := forbidden_character(value, multiline=multiline)) is not None:
        raise Invalid(problem, field)
