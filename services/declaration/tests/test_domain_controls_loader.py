"""Loading controls: the packaged files, and every way a controls file is refused (naming file and control)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from afas_declaration.domain.controls import (
    ControlDefinitionError,
    UnknownControls,
    available_families,
    available_versions,
    french_number,
    load_controls,
)
from afas_declaration.domain.forms import DefinitionError
from afas_declaration.domain.forms import available_families as form_families

GOOD = """
  - id: taux_facturation
    severity: flagged
    scope: activite
    label: Taux de facturation
    measure: heures_facturees / heures_realisees * 100
    max: 107
    unit: "%"
    message: "Taux de facturation : {mesure} mesuré, seuil {seuil}"
"""


def _write(tmp_path, controls=GOOD, family="eaje_psu", header=None):
    folder = tmp_path / "2026.1"
    folder.mkdir(exist_ok=True)
    header = header if header is not None else f'family: {family}\nversion: "2026.1"\n'
    references = "references:\n  prix_plafond: {label: Prix plafond horaire, unit: €/h}\n"
    (folder / f"{family}.yaml").write_text(f"{header}{references}controls:\n{controls}", encoding="utf-8")
    return tmp_path


def test_every_family_with_forms_has_controls_that_load():
    assert available_families() == form_families()
    assert available_versions() == ["2026.1"]
    for family in available_families():
        control_set = load_controls(family)
        assert control_set.family == family and control_set.controls
        assert control_set.forms.family == family


def test_loading_is_cached():
    assert load_controls("eaje_psu") is load_controls("eaje_psu", "2026.1")


def test_a_good_file_in_another_directory_loads(tmp_path):
    base = _write(tmp_path)
    control_set = load_controls("eaje_psu", base=base)
    assert [c.id for c in control_set.controls] == ["taux_facturation"]
    assert control_set.references["prix_plafond"].unit == "€/h"
    assert available_versions(base) == ["2026.1"] and available_families("2026.1", base) == ["eaje_psu"]


def _replace(old, new):
    assert old in GOOD
    return GOOD.replace(old, new)


@pytest.mark.parametrize(
    ("controls", "expected"),
    [
        (_replace("* 100", "* "), "controls[taux_facturation].measure: invalid syntax"),
        (_replace("heures_facturees /", "heures_reelles /"), "unknown name 'heures_reelles'"),
        (
            _replace("heures_facturees /", "total_charges /"),
            "unknown name 'total_charges' for a control of scope 'activite'",
        ),
        (_replace("heures_facturees /", "precedent_heures_facturees /"), "unknown name 'precedent_heures_facturees'"),
        (_replace("heures_facturees /", "reference_plafond /"), "unknown name 'reference_plafond'"),
        (_replace("heures_facturees /", "couches_fournies /"), "field 'couches_fournies' is boolean, not a number"),
        (
            _replace("measure: heures_facturees / heures_realisees * 100", "measure: 'sum(\"heures_*\")'"),
            "sum(...) is not available",
        ),
        (_replace("max: 107", "max: 1e3"), "controls[taux_facturation].max: number '1e3'"),
        (_replace("max: 107", "max: [107]"), "expected an expression or a number"),
        (_replace("    max: 107\n", ""), "a control needs a threshold"),
        (
            _replace("severity: flagged", "severity: warning"),
            "controls[taux_facturation].severity: unknown severity 'warning'",
        ),
        (_replace("scope: activite", "scope: site"), "unknown scope 'site'"),
        (_replace("id: taux_facturation", "id: Taux"), "controls[Taux].id: invalid id 'Taux'"),
        (_replace("id: taux_facturation", "id: champ_obligatoire"), "derived from the forms"),
        (GOOD + GOOD, "duplicate control id 'taux_facturation'"),
        (_replace("    unit:", "    seuil: 3\n    unit:"), "unknown key(s) 'seuil'"),
        (_replace("    label: Taux de facturation\n", ""), "missing key(s) 'label'"),
        (_replace("{mesure} mesuré, ", ""), "must quote {mesure} and a threshold"),
        (_replace(", seuil {seuil}", ""), "must quote {mesure} and a threshold"),
        (_replace("{seuil}", "{seuil} {min}"), "unknown placeholder {min}"),
        (_replace("{seuil}", "{seuil} {places}"), "unknown placeholder {places}"),
        (_replace("{mesure}", "{mesure:.2f}"), "takes no format"),
        (_replace("{mesure}", "{mesure"), "invalid template"),
        (_replace("    unit:", "    natures: [micro_creche]\n    unit:"), "natures: unknown value(s) ['micro_creche']"),
        (_replace("    unit:", "    types: [annuelle]\n    unit:"), "types: unknown value(s) ['annuelle']"),
        (_replace("    unit:", "    strict: oui\n    unit:"), "strict: expected true or false"),
        (_replace("    unit:", "    decimals: 9\n    unit:"), "decimals: expected an integer from 0 to 6"),
        (_replace("    unit:", "    unit: a\n    unit:"), "duplicate key 'unit'"),
        (_replace("label: Taux de facturation", "label: [Taux"), "not valid YAML"),
        ("  []\n", "controls: expected a non-empty list"),
    ],
)
def test_a_bad_control_is_refused_naming_file_and_control(tmp_path, controls, expected):
    with pytest.raises(ControlDefinitionError) as raised:
        load_controls("eaje_psu", base=_write(tmp_path, controls))
    assert str(raised.value).startswith("controls 2026.1/eaje_psu.yaml: ")
    assert expected in str(raised.value)
    assert isinstance(raised.value, DefinitionError)


def test_placeholders_may_quote_the_inputs_of_a_computed_figure(tmp_path):
    controls = _replace("heures_facturees / heures_realisees * 100", "taux_occupation").replace(
        "seuil {seuil}", "seuil {seuil} ({places} places)"
    )
    assert load_controls("eaje_psu", base=_write(tmp_path, controls)).controls[0].id == "taux_facturation"


def test_a_field_missing_for_one_of_the_control_natures_is_refused(tmp_path):
    controls = """
  - id: mercredi
    severity: blocking
    scope: activite
    label: Heures du mercredi
    measure: mercredi_heures
    max: heures_realisees
    message: "{mesure} pour {max}"
"""
    with pytest.raises(
        ControlDefinitionError, match=r"'mercredi_heures' does not apply to nature\(s\) \['adolescents'\]"
    ):
        load_controls("alsh", base=_write(tmp_path, controls, family="alsh"))
    restricted = controls.replace("    measure:", "    natures: [periscolaire]\n    measure:")
    assert load_controls("alsh", base=_write(tmp_path, restricted, family="alsh")).controls[0].natures == (
        "periscolaire",
    )


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('family: alsh\nversion: "2026.1"\n', "file declares family 'alsh'"),
        ("family: eaje_psu\nversion: 2026.1\n", "version: file declares version 2026.1 (quote it)"),
        ('family: eaje_psu\nversion: "2026.1"\nextra: 1\n', "unknown key(s) 'extra'"),
    ],
)
def test_a_bad_header_is_refused(tmp_path, header, expected):
    with pytest.raises(ControlDefinitionError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        load_controls("eaje_psu", base=_write(tmp_path, header=header))


@pytest.mark.parametrize(
    ("family", "version"),
    [("inconnue", "2026.1"), ("eaje_psu", "2025.1"), ("../eaje", "2026.1"), ("eaje_psu", "2026")],
)
def test_unknown_family_or_version(tmp_path, family, version):
    with pytest.raises(UnknownControls):
        load_controls(family, version)


def test_controls_without_forms_are_refused(tmp_path):
    with pytest.raises(UnknownControls, match="no form definition for family 'garderie'"):
        load_controls("garderie", base=_write(tmp_path, family="garderie"))


@pytest.mark.parametrize(
    ("value", "unit", "decimals", "expected"),
    [
        (Decimal("112.4"), "%", 2, "112,40 %"),
        (Decimal("12500.5"), "€", 2, "12 500,50 €"),
        (Decimal("1234567.891"), None, None, "1 234 567,891"),
        (Decimal("-1500"), "h", 0, "-1 500 h"),
        (Decimal("-0.001"), "€", 2, "0,00 €"),
        (Decimal("107"), "%", None, "107 %"),
        (Decimal("999"), None, None, "999"),
    ],
)
def test_french_number(value, unit, decimals, expected):
    assert french_number(value, unit, decimals) == expected.replace(" ", "\u00a0")


@pytest.mark.parametrize(
    ("controls", "place_and_reason"),
    [
        ("  - 3\n", "controls[0]: expected a mapping, got int"),
        ("  {}\n", "controls: expected a non-empty list"),
        (
            _replace("label: Taux de facturation", "label: [Taux, facturation]"),
            "controls[taux_facturation].label: expected a non-empty text",
        ),
        (_replace("    label: Taux de facturation\n", ""), "controls[taux_facturation]: missing key(s) 'label'"),
        (
            _replace("    unit:", "    decimals: true\n    unit:"),
            "controls[taux_facturation].decimals: expected an integer from 0 to 6",
        ),
        (
            _replace("    unit:", "    empty_as_zero: 1\n    unit:"),
            "controls[taux_facturation].empty_as_zero: expected true or false, got 1",
        ),
        (
            _replace("    unit:", "    seuil: 3\n    unit:"),
            "controls[taux_facturation]: unknown key(s) 'seuil'; allowed: ['decimals', 'empty_as_zero', 'id', "
            "'label', 'max', 'measure', 'message', 'min', 'natures', 'scope', 'severity', 'strict', 'types', 'unit']",
        ),
    ],
)
def test_a_refusal_names_the_control_and_the_reason_exactly(tmp_path, controls, place_and_reason):
    with pytest.raises(ControlDefinitionError) as raised:
        load_controls("eaje_psu", base=_write(tmp_path, controls))
    assert str(raised.value) == f"controls 2026.1/eaje_psu.yaml: {place_and_reason}"


@pytest.mark.parametrize(
    ("references", "place_and_reason"),
    [
        ("references: [prix_plafond]\n", "references: expected a mapping of reference id to {label, unit}"),
        ("references:\n  Plafond: {label: Plafond}\n", "references.Plafond: invalid id 'Plafond'"),
        ("references:\n  plafond: {unit: €/h}\n", "references.plafond: missing key(s) 'label'"),
    ],
)
def test_a_bad_reference_is_refused_naming_it(tmp_path, references, place_and_reason):
    folder = tmp_path / "2026.1"
    folder.mkdir()
    text = f'family: eaje_psu\nversion: "2026.1"\n{references}controls:\n{GOOD}'
    (folder / "eaje_psu.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(ControlDefinitionError) as raised:
        load_controls("eaje_psu", base=tmp_path)
    assert str(raised.value).startswith(f"controls 2026.1/eaje_psu.yaml: {place_and_reason}")
