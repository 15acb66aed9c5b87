"""Malformed definition files are refused on load with a message saying which file, where, and why."""

from __future__ import annotations

import copy
from decimal import Decimal

import pytest
import yaml

from afas_declaration.domain.forms import DefinitionError, UnknownDefinition, available_versions, load_definition

VERSION = "2030.1"
VALID = {
    "family": "demo",
    "version": VERSION,
    "label": "Démo",
    "natures": {"general": "Démo", "autre": "Autre"},
    "forms": {
        "activite": {
            "title": "Données d'activité",
            "sections": [
                {
                    "id": "activite",
                    "label": "Activité",
                    "fields": [
                        {"id": "heures", "label": "Heures", "type": "hours", "required": True},
                        {"id": "bonus", "label": "Bonus", "type": "hours", "natures": ["autre"]},
                    ],
                }
            ],
        },
        "financier": {
            "title": "Données financières",
            "variants": {"previsionnelle": {"title": "Budget prévisionnel"}},
            "sections": [
                {
                    "id": "charges",
                    "label": "Charges",
                    "fields": [
                        {"id": "charges_60", "label": "60 - Achats", "type": "euros"},
                        {"id": "charges_64", "label": "64 - Personnel", "type": "euros"},
                        {"id": "total_charges", "label": "Total", "type": "euros", "computed": 'sum("charges_*")'},
                    ],
                }
            ],
        },
    },
}


def _write(tmp_path, data, family="demo", version=VERSION):
    folder = tmp_path / version
    folder.mkdir(parents=True, exist_ok=True)
    text = data if isinstance(data, str) else yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    (folder / f"{family}.yaml").write_text(text, encoding="utf-8")
    return tmp_path


def _broken(tmp_path, change):
    data = copy.deepcopy(VALID)
    change(data)
    return _write(tmp_path, data)


def _other_section():
    return {"id": "autres", "label": "Autres", "fields": [{"id": "charges_64", "label": "Doublon", "type": "euros"}]}


def _fields(data, form="financier"):
    return data["forms"][form]["sections"][0]["fields"]


def test_a_valid_definition_loads_from_a_given_directory(tmp_path):
    definition = load_definition("demo", VERSION, base=_write(tmp_path, VALID))
    financier = definition.forms["financier"]
    assert financier.title_for("previsionnelle") == "Budget prévisionnel"
    assert financier.title_for("reelle") == "Données financières"
    assert financier.fields["charges_60"].min == Decimal(0)  # numeric fields are non-negative unless told
    assert definition.forms["activite"].fields["bonus"].natures == ("autre",)
    assert available_versions(tmp_path) == [VERSION]


def test_versions_sort_by_year_then_revision(tmp_path):
    for version in ("2026.10", "2026.2", "2025.1", "brouillon"):
        (tmp_path / version).mkdir()
    assert available_versions(tmp_path) == ["2025.1", "2026.2", "2026.10"]


def test_a_missing_definition_is_unknown(tmp_path):
    with pytest.raises(UnknownDefinition, match="no form definition for family 'demo' in version '2030.1'"):
        load_definition("demo", VERSION, base=tmp_path)
    with pytest.raises(UnknownDefinition, match="invalid family id"):
        load_definition("../secrets", VERSION, base=tmp_path)
    with pytest.raises(UnknownDefinition, match="invalid version"):
        load_definition("demo", "../2026.1", base=tmp_path)


BROKEN = [
    (lambda d: d.update(extra=1), r"demo\.yaml: unknown key\(s\) 'extra'"),
    (lambda d: _fields(d)[0].update(mini=0), r"fields\[charges_60\]: unknown key\(s\) 'mini'"),
    (lambda d: d["forms"]["financier"].update(variants={"annuelle": {"title": "X"}}), "unknown key.*'annuelle'"),
    (lambda d: d["forms"].pop("activite"), r"forms: missing key\(s\) 'activite'"),
    (lambda d: _fields(d)[1].update(id="charges_60"), "duplicate field id 'charges_60' in form 'financier'"),
    (lambda d: d["forms"]["financier"]["sections"].append(_other_section()), "duplicate field id 'charges_64'"),
    (lambda d: _fields(d)[0].update(type="money"), "unknown type 'money'"),
    (lambda d: _fields(d)[0].update(id="Charges60"), "invalid id 'Charges60'"),
    (lambda d: _fields(d)[0].update(id="sum"), "invalid id 'sum'"),
    (lambda d: _fields(d)[0].update(min=10, max=5), "min 10 is greater than max 5"),
    (lambda d: _fields(d)[0].update(min="beaucoup"), r"charges_60\]\.min: expected a number"),
    (lambda d: _fields(d)[0].update(natures=["periscolaire"]), r"unknown nature\(s\) \['periscolaire'\]"),
    (lambda d: _fields(d)[2].update(computed="charges_60 + charges_99"), "unknown field 'charges_99'"),
    (lambda d: _fields(d)[2].update(computed='sum("produits_*")'), r'sum\("produits_\*"\) matches no field'),
    (lambda d: _fields(d)[2].update(computed="charges_60 ** 2"), r"total_charges\]\.computed: unsupported element"),
    (lambda d: _fields(d)[2].update(computed="total_charges + 1"), "'total_charges' refers to itself"),
    (lambda d: _fields(d)[2].update(required=True), "cannot be required"),
    (lambda d: _fields(d)[2].update(type="text"), "a computed field must be numeric"),
    (lambda d: _fields(d)[2].update(max=10), "bounds apply to typed numeric fields only"),
    (lambda d: d.update(version=2030.1), "quote the version"),
    (lambda d: d.update(family="autre"), "file declares family 'autre' but is stored as 'demo'"),
    (lambda d: d["forms"]["activite"]["sections"].append(d["forms"]["activite"]["sections"][0]), "duplicate section"),
]


@pytest.mark.parametrize(("change", "message"), BROKEN)
def test_malformed_definitions_are_refused(tmp_path, change, message):
    base = _broken(tmp_path, change)
    with pytest.raises(DefinitionError, match=message) as caught:
        load_definition("demo", VERSION, base=base)
    assert str(caught.value).startswith("2030.1/demo.yaml: ")


def test_a_cycle_between_computed_fields_is_refused(tmp_path):
    def cycle(data):
        _fields(data).extend(
            [
                {"id": "a", "label": "A", "type": "euros", "computed": "b + 1"},
                {"id": "b", "label": "B", "type": "euros", "computed": "c * 2"},
                {"id": "c", "label": "C", "type": "euros", "computed": "a - charges_60"},
            ]
        )

    with pytest.raises(DefinitionError, match="computed fields form a cycle: a -> b -> c -> a"):
        load_definition("demo", VERSION, base=_broken(tmp_path, cycle))


def test_a_total_cannot_name_a_field_missing_for_some_of_its_natures(tmp_path):
    def total_over_bonus(data):
        _fields(data, "activite").append({"id": "t", "label": "T", "type": "hours", "computed": "heures + bonus"})

    with pytest.raises(DefinitionError, match="'t' applies to every nature but 'bonus' only to \\['autre'\\]"):
        load_definition("demo", VERSION, base=_broken(tmp_path, total_over_bonus))


def test_a_computed_field_cannot_use_a_text_field(tmp_path):
    def over_text(data):
        _fields(data).insert(0, {"id": "charges_note", "label": "Note", "type": "text"})

    with pytest.raises(DefinitionError, match="field 'charges_note' is text, not a number"):
        load_definition("demo", VERSION, base=_broken(tmp_path, over_text))


def test_duplicate_yaml_keys_and_invalid_yaml_are_refused(tmp_path):
    text = yaml.safe_dump(VALID, allow_unicode=True, sort_keys=False).replace(
        "label: Démo\n", "label: Démo\nlabel: X\n", 1
    )
    with pytest.raises(DefinitionError, match="duplicate key 'label'"):
        load_definition("demo", VERSION, base=_write(tmp_path, text))
    with pytest.raises(DefinitionError, match="not valid YAML"):
        load_definition("demo", VERSION, base=_write(tmp_path / "other", "family: [unclosed"))
    with pytest.raises(DefinitionError, match="expected a mapping, got list"):
        load_definition("demo", VERSION, base=_write(tmp_path / "third", "- 1\n"))


PLACES = [
    (lambda d: d.update(label=3), "label: expected a non-empty text"),
    (lambda d: d.pop("label"), "missing key(s) 'label'"),
    (lambda d: d.update(natures={"general": " "}), "natures.general: expected a non-empty text"),
    (lambda d: d.update(forms=["activite"]), "forms: expected a mapping, got list"),
    (
        lambda d: _fields(d)[0].update(required="yes"),
        "forms.financier.sections[charges].fields[charges_60].required: expected true or false, got 'yes'",
    ),
    (
        lambda d: d["forms"]["financier"]["sections"][0].update(extra=1),
        "forms.financier.sections[charges]: unknown key(s) 'extra'; allowed: ['fields', 'id', 'label']",
    ),
    (lambda d: _fields(d).append(3), "forms.financier.sections[charges].fields[3]: expected a mapping, got int"),
    (
        lambda d: _fields(d)[0].pop("label"),
        "forms.financier.sections[charges].fields[charges_60]: missing key(s) 'label'",
    ),
    (
        lambda d: _fields(d)[0].update(max=float("inf")),
        "forms.financier.sections[charges].fields[charges_60].max: expected a finite number, got inf",
    ),
    (
        lambda d: d["forms"]["financier"].update(variants={"reelle": {}}),
        "forms.financier.variants.reelle: missing key(s) 'title'",
    ),
    (lambda d: d.update(version="2030.2"), "version: file declares version '2030.2' but is stored under '2030.1'"),
]


@pytest.mark.parametrize(("change", "place_and_reason"), PLACES)
def test_a_refusal_names_the_place_and_the_reason_exactly(tmp_path, change, place_and_reason):
    with pytest.raises(DefinitionError) as caught:
        load_definition("demo", VERSION, base=_broken(tmp_path, change))
    assert str(caught.value) == f"2030.1/demo.yaml: {place_and_reason}"
