"""The base of every definition file: a refusal names the file, the place (a list item by its id) and the reason."""

from __future__ import annotations

from datetime import date

import pytest

from afas_shared.yaml_definitions import DefinitionModel, Flag, Refusal, Text, checked, read_yaml


class Item(DefinitionModel):
    id: str
    label: Text
    on: Flag = False


class Document(DefinitionModel):
    items: list[Item]
    by_day: dict[date, Item] = {}


class Broken(ValueError):
    pass


def _message(raw, separator="."):
    with pytest.raises(Broken) as caught:
        checked(Document.model_validate, raw, "demo.yaml", Broken, separator)
    return str(caught.value)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([1], "demo.yaml: expected a mapping, got list"),
        (
            {"items": [], "extra": 1, "other": 2},
            "demo.yaml: unknown key(s) 'extra', 'other'; allowed: ['by_day', 'items']",
        ),
        ({}, "demo.yaml: missing key(s) 'items'"),
        ({"items": [{"id": "a", "label": " "}]}, "demo.yaml: items[a].label: expected a non-empty text"),
        ({"items": [{"id": 3, "label": "A"}]}, "demo.yaml: items[0].id: expected a text, got 3"),
        ({"items": {"id": "a"}}, "demo.yaml: items: expected a list, got {'id': 'a'}"),
        (
            {"items": [], "by_day": {"2024-01-02": {}}},
            "demo.yaml: by_day.2024-01-02: expected a YYYY-MM-DD date, got '2024-01-02'",
        ),
        (
            {"items": [{"id": "a", "label": "A", "on": "yes"}]},
            "demo.yaml: items[a].on: expected true or false, got 'yes'",
        ),
        (
            {"items": [], "by_day": {date(2024, 1, 2): {"id": "a"}}},
            "demo.yaml: by_day.2024-01-02: missing key(s) 'label'",
        ),
    ],
)
def test_a_refusal_names_file_place_and_reason(raw, message):
    assert _message(raw) == message


def test_the_separator_of_the_place_is_the_callers():
    assert (
        _message({"items": [{"id": "a", "label": ""}]}, ": ") == "demo.yaml: items[a]: label: expected a non-empty text"
    )


def test_a_refusal_raised_while_building_names_its_place_too():
    def build(raw):
        raise Refusal("duplicate id 'a'", "items", 1, "id")

    with pytest.raises(Broken, match=r"^demo\.yaml: items\[a\]\.id: duplicate id 'a'$"):
        checked(build, {"items": [{"id": "b"}, {"id": "a"}]}, "demo.yaml", Broken)


def test_reading_refuses_a_repeated_key_and_what_is_not_yaml(tmp_path):
    (tmp_path / "twice.yaml").write_text("a: 1\na: 2\n", encoding="utf-8")
    (tmp_path / "broken.yaml").write_text("a: [1\n", encoding="utf-8")
    with pytest.raises(Broken, match=r"^twice\.yaml: not valid YAML: .*duplicate key 'a'"):
        read_yaml(tmp_path / "twice.yaml", "twice.yaml", Broken)
    with pytest.raises(Broken, match=r"^broken\.yaml: not valid YAML"):
        read_yaml(tmp_path / "broken.yaml", "broken.yaml", Broken)
