"""Reminder planning, templates and ICS writing as pure functions."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from afas_notification.domain import ics, reminders, templates
from afas_notification.domain.reminders import FormState, GrantState, Stage


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_stages_are_paris_mornings_across_the_change_to_summer_time():
    planned = reminders.stages(utc(2026, 1, 15, 7), date(2026, 3, 31), (15, 3, 1), 1, 8)
    assert [(s.kind, s.due_at) for s in planned] == [
        ("ouverture", utc(2026, 1, 15, 7)),
        ("j-15", utc(2026, 3, 16, 7)),  # 8:00 CET
        ("j-3", utc(2026, 3, 28, 7)),
        ("j-1", utc(2026, 3, 30, 6)),  # 8:00 CEST (clocks went forward on 29 March)
        ("j+1", utc(2026, 4, 1, 6)),
    ]


def test_a_late_opening_has_no_reminder_before_it():
    planned = reminders.stages(utc(2026, 3, 25, 10), date(2026, 3, 31), (15, 3, 1), 2, 8)
    assert [s.kind for s in planned] == ["ouverture", "j-3", "j-1", "j+2"]


def test_after_a_stop_only_the_newest_due_stage_is_sent():
    waiting = [Stage(utc(2026, 3, 16, 7), "j-15"), Stage(utc(2026, 3, 28, 7), "j-3"), Stage(utc(2026, 3, 30, 6), "j-1")]
    current, skipped = reminders.latest_due(waiting, utc(2026, 3, 29, 12))
    assert current.kind == "j-3" and [s.kind for s in skipped] == ["j-15"]
    assert reminders.latest_due(waiting, utc(2026, 3, 1)) == (None, [])


@pytest.mark.parametrize(("text", "parsed"), [("15,3,1", (15, 3, 1)), ("1, 3 ,15,3", (15, 3, 1)), ("7", (7,))])
def test_offsets(text, parsed):
    assert reminders.parse_offsets(text) == parsed


@pytest.mark.parametrize("text", ["", "0", "a,b", "200", "-1"])
def test_bad_offsets(text):
    with pytest.raises(ValueError):
        reminders.parse_offsets(text)


SITE_A, SITE_B = uuid.uuid4(), uuid.uuid4()
FDA_A, FDA_ALL, FDF, APPRO = (uuid.uuid4() for _ in range(4))
LINES = [
    GrantState(FDA_A, "fda", SITE_A),
    GrantState(FDA_ALL, "fda", None),
    GrantState(FDF, "fdf", None),
    GrantState(APPRO, "approbateur", None),
]


def forms(a=False, b=False, fin=False, fin_requested=True):
    return [
        FormState(uuid.uuid4(), "activite", SITE_A, True, a),
        FormState(uuid.uuid4(), "activite", SITE_B, True, b),
        FormState(uuid.uuid4(), "financier", None, fin_requested, fin),
    ]


def test_providers_of_each_incomplete_form_act_first():
    assert reminders.who_must_act(False, False, forms(), LINES) == {
        FDA_A: {"saisir_activite"},
        FDA_ALL: {"saisir_activite"},
        FDF: {"saisir_financier"},
    }
    assert reminders.who_must_act(False, False, forms(a=True, fin=True), LINES) == {FDA_ALL: {"saisir_activite"}}


def test_the_approbateur_fills_what_nobody_provides_and_acts_once_forms_are_complete():
    only_appro = [GrantState(APPRO, "approbateur", None)]
    assert reminders.who_must_act(False, False, forms(a=True, b=True), only_appro) == {APPRO: {"saisir_financier"}}
    assert reminders.who_must_act(False, False, forms(True, True, True), LINES) == {APPRO: {"transmettre"}}
    assert reminders.who_must_act(False, True, forms(), LINES) == {APPRO: {"transmettre"}}
    assert reminders.who_must_act(False, False, forms(True, True, fin_requested=False), LINES) == {
        APPRO: {"transmettre"}
    }


def test_nobody_acts_after_transmission():
    assert reminders.who_must_act(True, False, forms(), LINES) == {}


def test_keys_and_message_ids_are_stable_per_recipient_declaration_and_kind():
    user, declaration = uuid.uuid4(), uuid.uuid4()
    key = reminders.reminder_key(user, declaration, "j-3")
    assert key == reminders.reminder_key(user, declaration, "j-3") != reminders.reminder_key(user, declaration, "j-1")
    assert reminders.message_id(key, "AFAS <ne-pas-repondre@caf.example>").endswith("@caf.example>")
    assert reminders.message_id(key, "a@b.fr") == reminders.message_id(key, "c@b.fr")


def test_retry_delays_then_give_up():
    assert [reminders.retry_delay(n, [60, 300]) for n in (1, 2, 3)] == [60, 300, None]


def test_french_texts():
    facts = templates.DeclarationFacts("actualisee_juin", 2026, "ALSH <Les Coccinelles>", date(2026, 7, 1))
    rendered = templates.reminder("j-1", facts, {"saisir_financier"}, "Inès", "https://afas.test/d/1")
    assert (
        rendered.subject == "Rappel : votre déclaration actualisée janvier à juin 2026 est à transmettre avant le "
        "1er juillet 2026"
    )
    assert "Bonjour Inès," in rendered.text and "demain" in rendered.text
    assert "&lt;Les Coccinelles&gt;" in rendered.html and "<Les" not in rendered.html
    assert templates.french_amount("-40852.5") == "40\u202f852,50"


def test_ics_escapes_and_folds():
    long_name = "Multi-accueil « Les Lucioles », site; n°2 " * 4
    text = ics.calendar(
        "Mes dates", [ics.Deadline("x@afas", date(2026, 3, 31), long_name, "ligne 1\nligne 2")], utc(2026, 1, 1)
    )
    lines = text.split("\r\n")
    assert all(len(line.encode()) <= 75 for line in lines)
    assert "DTSTART;VALUE=DATE:20260331" in lines and "DTEND;VALUE=DATE:20260401" in lines
    unfolded = text.replace("\r\n ", "")
    assert "\\, site\\; n°2" in unfolded and "ligne 1\\nligne 2" in unfolded
