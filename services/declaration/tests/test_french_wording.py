"""What a person reads says each thing once and in agreement: no unit repeated after a figure that carries it
(« 900 journées journées »), units agreeing with their figure (« 1 place »), one label per state on every page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from afas_declaration.adapters.receipt_values import format_value
from afas_declaration.domain.controls import ControlDefinitionError, available_families, french_number, load_controls
from afas_declaration.gateway.web import labels
from afas_declaration.gateway.web.pages import TEMPLATES, environment
from afas_shared.contracts.declaration_states import DeclarationState
from services.declaration.tests.controls_cases import D, run

DOUBLED_WORD = re.compile(r"\b(\w{2,})[\s\u00a0]+\1\b")


@pytest.mark.parametrize("family", available_families())
def test_no_control_message_repeats_a_word(family):
    """Every packaged control, evaluated on the family's baseline declaration, reads without a doubled word."""
    results = run(family)
    messages = [r.message for r in results if r.message]
    assert messages
    assert [m for m in messages if DOUBLED_WORD.search(m)] == []


def test_the_wednesday_ceiling_names_days_once():
    [ceiling] = [r for r in run("alsh") if r.control_id == "mercredi_heures_plafond"]
    assert "(1\u00a0000\u00a0journées avec repas à 9 h et 500\u00a0demi-journées à 4 h)" in ceiling.message


def test_a_control_message_repeating_its_figures_unit_is_refused(tmp_path):
    folder = tmp_path / "2026.1"
    folder.mkdir()
    control = """
  - id: mercredi_plafond
    severity: flagged
    scope: activite
    label: Heures du mercredi
    measure: mercredi_heures
    max: mercredi_journees_repas * 9
    unit: h
    natures: [periscolaire, extrascolaire]
    message: "Heures du mercredi : {mesure}, seuil {seuil} ({mercredi_journees_repas} journées avec repas)"
"""
    (folder / "alsh.yaml").write_text(f'family: alsh\nversion: "2026.1"\ncontrols:\n{control}', encoding="utf-8")
    with pytest.raises(
        ControlDefinitionError, match=r"\{mercredi_journees_repas\} is written with its unit 'journées'"
    ):
        load_controls("alsh", base=tmp_path)


def test_units_agree_with_their_figure_in_messages_pages_and_the_receipt():
    assert french_number(D(1), "places") == "1\u00a0place"
    assert french_number(D(40), "places") == "40\u00a0places"
    assert format_value("1", "integer", "places") == "1\u00a0place"
    assert format_value("12", "integer", "places") == "12\u00a0places"
    page = environment.from_string(
        "{{ '1'|nombre }} {{ 'places'|unite('1') }} ; {{ 40|nombre }} {{ 'places'|unite(40) }}"
    )
    assert page.render() == "1 place ; 40 places"


def test_one_label_per_state_on_every_page():
    assert labels.state_label("validee") == DeclarationState.validee.label == "Validée Caf"
    # The Caf's decision reads as the state it leads to: « Validée par … », never a wording of its own
    assert [labels.decision_label(s) for s in ("validee", "refusee", "annulee")] == ["Validée", "Refusée", "Annulée"]
    assert labels.control_status_label("non_evalue") == "Non évalué"
    # No template maps a state or a control status code to words of its own
    own_mapping = re.compile(r"\{\s*'(?:validee|refusee|annulee|anomalie|non_evalue|transmise)'\s*:")
    mapped = [p.name for p in Path(TEMPLATES).glob("*.html") if own_mapping.search(p.read_text(encoding="utf-8"))]
    assert mapped == []


# « 2 anomalie(s) », « site{{ 's' if n > 1 }} »: a plural made by hand rather than by ``afas_shared.french_plural``
PLURAL_BY_HAND = re.compile(r"[a-zé]\(s\)(?!\s+for\b)|\{\{ 's' if |\"s\" if .+ > 1")


def test_every_plural_a_person_reads_comes_from_the_one_helper():
    import afas_declaration

    root = Path(afas_declaration.__file__).parent
    sources = [
        *Path(TEMPLATES).glob("*.html"),
        *(root / "gateway" / "web").glob("*.py"),
        *(root / "adapters").glob("receipt*.py"),
        root / "domain" / "declaration_parts.py",
    ]
    by_hand = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sources
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if PLURAL_BY_HAND.search(line)
    ]
    assert by_hand == []
    counts = environment.from_string("{{ 1 }} {{ 'campagne'|pluriel(1) }}, {{ 3 }} {{ 'campagne'|pluriel(3) }}")
    assert counts.render() == "1 campagne, 3 campagnes"
