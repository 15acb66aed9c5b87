"""One rule for the characters a typed text may hold (afas_shared.text), and its pydantic base model."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
from pydantic import BaseModel, ValidationError

from afas_shared.text import InputModel, MultiLineText, SingleLineText, forbidden_character

REFUSED = [
    "\x00",  # NUL
    "\x01",
    "\x1b",  # ESC (terminal escapes)
    "\x1f",
    "\x7f",  # DEL
    "\x80",
    "\x85",  # NEL
    "\x9f",
    *(chr(c) for c in range(0x202A, 0x202F)),  # bidi embeddings and overrides
    *(chr(c) for c in range(0x2066, 0x206A)),  # bidi isolates
    "\u2028",
    "\u2029",
    "\ud800",  # a lone surrogate
]
ACCEPTED = ["Lefèvre", "Œuvre d'Amiens", "L’Étoile", "Crèche « Les P’tits Loups »", "São Tomé", "北京", "😀", "a b"]


@pytest.mark.parametrize("char", REFUSED, ids=lambda c: f"U+{ord(c):04X}")
def test_control_bidi_and_separator_characters_are_refused_single_or_multi_line(char):
    for multiline in (False, True):
        problem = forbidden_character(f"Jean{char}Pierre", multiline=multiline)
        assert problem is not None and f"U+{ord(char):04X}" in problem and problem.startswith("Caractère interdit")


@pytest.mark.parametrize("text", ACCEPTED)
def test_letters_of_every_script_punctuation_and_emoji_are_accepted(text):
    assert forbidden_character(text) is None


@pytest.mark.parametrize("char", ["\n", "\r", "\t"], ids=repr)
def test_line_breaks_and_tabs_only_in_multi_line_texts(char):
    assert forbidden_character(f"a{char}b") is not None
    assert forbidden_character(f"a{char}b", multiline=True) is None


class _Person(InputModel):
    nom: str
    lieux: list[str] = []
    valeurs: dict[str, Any] = {}
    commentaire: str | None = None
    multiline_fields: ClassVar[frozenset[str]] = frozenset({"commentaire"})


class _Annotated(BaseModel):  # the types, for a model that is not an InputModel
    seul: SingleLineText = ""
    plusieurs: MultiLineText = ""


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"nom": "Bl\x00anc"}, "nom"),
        ({"nom": "Blanc", "lieux": ["École", "Éc\u202eole"]}, "lieux"),
        ({"nom": "Blanc", "valeurs": {"heures": "12\x1b"}}, "valeurs"),
        ({"nom": "Blanc", "valeurs": {"cl\u2066e": "1"}}, "valeurs"),
        ({"nom": "Blanc", "commentaire": "ligne\x00"}, "commentaire"),
        ({"nom": "Blanc\nDupont"}, "nom"),
    ],
)
def test_input_model_names_the_field_holding_a_forbidden_character(data, field):
    with pytest.raises(ValidationError) as raised:
        _Person.model_validate(data)
    [error] = raised.value.errors()
    assert error["loc"][0] == field and "Caractère interdit" in error["msg"]


def test_input_model_lets_multi_line_fields_hold_line_breaks_and_other_values_through():
    person = _Person.model_validate(
        {"nom": "Lefèvre", "lieux": ["École"], "valeurs": {"places": 40}, "commentaire": "Ligne 1\r\nLigne 2\tfin"}
    )
    assert person.commentaire == "Ligne 1\r\nLigne 2\tfin" and person.valeurs == {"places": 40}
    assert _Annotated.model_validate({"seul": "a", "plusieurs": "a\nb"}).plusieurs == "a\nb"
    with pytest.raises(ValidationError):
        _Annotated.model_validate({"seul": "a\nb"})
