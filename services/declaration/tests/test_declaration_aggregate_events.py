"""The declaration aggregate's events: what each transition records, and in which order (the rules of who and from
which state: ``test_declaration_aggregate.py``)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest

from afas_declaration.domain.declaration_parts import obstacles
from afas_declaration.domain.errors import Conflict, Invalid, NotFound
from afas_declaration.domain.lifecycle import Actor
from afas_shared.contracts.declaration_states import DeclarationState as State
from afas_shared.contracts.events.declaration import (
    DeclarationCancelledV1,
    DeclarationControlledV1,
    DeclarationFiguresUpdatedV1,
    DeclarationRefusedV1,
    DeclarationTransmittedV1,
    DeclarationValidatedV1,
    FormSavedV1,
    FormSentBackV1,
)
from services.declaration.tests.test_declaration_aggregate import (
    ACTIVITY_FORM,
    APPROBATEUR,
    BLOCKING,
    FLAG,
    INSTRUCTOR,
    NOW,
    PROVIDER,
    REASON,
    declaration,
    figures,
    save,
    seal,
    transmit,
)


def test_a_save_records_the_form_save_and_the_figures_in_order():
    d = declaration()
    form = save(d)
    assert (form.version, form.state, form.saved_by_name, d.state) == (
        1,
        State.en_cours,
        "Karim Bernard",
        State.en_cours,
    )
    saved, figures_updated = d.pull_events()
    assert isinstance(saved.data, FormSavedV1) and (saved.subject, saved.aggregate_version) == (str(ACTIVITY_FORM), 10)
    assert isinstance(figures_updated.data, DeclarationFiguresUpdatedV1)
    assert (figures_updated.subject, figures_updated.aggregate_version) == (str(d.id), 1)
    assert figures_updated.data.figures == {"formulaires_enregistres": "1"}
    save(d)
    assert [e.aggregate_version for e in d.pull_events()] == [20, 2]  # figures: one more save of the declaration
    assert d.pull_events() == []


def test_a_stale_save_is_refused_naming_who_saved_first():
    d = declaration()
    save(d)
    with pytest.raises(Conflict, match="enregistré entre-temps par Karim Bernard le 02/03/2026 à 10:00") as stale:
        d.save_form(PROVIDER, ACTIVITY_FORM, expected_version=0, values={}, now=NOW, figures=figures)
    assert stale.value.field == "version"
    with pytest.raises(Conflict, match="La version 7 de ce formulaire n'existe pas"):
        d.save_form(PROVIDER, ACTIVITY_FORM, expected_version=7, values={}, now=NOW, figures=figures)


def test_a_form_not_requested_or_unknown_is_not_saved():
    d = declaration()
    d.forms[0].requested = False
    with pytest.raises(Conflict, match="n'est pas demandé"):
        save(d)
    unknown = uuid.uuid4()
    with pytest.raises(NotFound, match="Formulaire inconnu."):
        d.save_form(Actor(fills=frozenset({unknown})), unknown, expected_version=0, values={}, now=NOW, figures=figures)


def test_a_send_back_comes_after_the_save_it_returns_and_before_the_next_save():
    d = declaration(saved=True)
    d.state = State.controlee
    with pytest.raises(Invalid):
        d.send_back(APPROBATEUR, ACTIVITY_FORM, "  ok ")
    form = d.send_back(APPROBATEUR, ACTIVITY_FORM, "Les heures de mars manquent.")
    assert (form.state, form.sent_back_by_name, d.state) == (State.a_corriger, "Alice Leroy", State.en_cours)
    [sent_back] = d.pull_events()
    assert isinstance(sent_back.data, FormSentBackV1) and sent_back.aggregate_version == 11
    save(d)
    assert d.pull_events()[0].aggregate_version == 20
    assert d.form(ACTIVITY_FORM).sent_back_comment is None


def test_a_form_never_saved_is_not_sent_back():
    with pytest.raises(Conflict, match="rien à renvoyer"):
        declaration().send_back(APPROBATEUR, ACTIVITY_FORM, "Les heures de mars manquent.")


def test_controls_make_a_complete_declaration_without_blocking_anomaly_controlled():
    d = declaration(saved=True, state=State.en_cours)
    assert d.control(PROVIDER, [BLOCKING, FLAG], NOW) is False and d.state == State.en_cours
    assert d.control(APPROBATEUR, [FLAG], NOW) is True and d.state == State.controlee
    assert d.control(APPROBATEUR, [BLOCKING], NOW) is False and d.state == State.en_cours  # to control again
    events = d.pull_events()
    assert all(isinstance(e.data, DeclarationControlledV1) and e.aggregate_version == 10 for e in events)
    assert [(e.data.blocking, e.data.flagged, e.data.ready) for e in events] == [
        (1, 1, False),
        (0, 1, True),
        (1, 0, False),
    ]
    incomplete = declaration(state=State.en_cours)
    assert incomplete.control(PROVIDER, [], NOW) is False


def test_justification_and_complement_by_the_approbateur():
    d = declaration(saved=True, state=State.controlee)
    d.controls = [FLAG]
    with pytest.raises(NotFound, match="relancez les contrôles"):
        d.justify(APPROBATEUR, "inconnue", "Séjour ski annulé faute de neige cette année", Decimal(12), NOW)
    with pytest.raises(Invalid) as short:
        d.justify(APPROBATEUR, FLAG["cle"], "Neige", Decimal(12), NOW)
    assert short.value.field == "texte"
    given = d.justify(APPROBATEUR, FLAG["cle"], " Séjour ski annulé faute de neige cette année ", Decimal("12.5"), NOW)
    assert given == {
        "texte": "Séjour ski annulé faute de neige cette année",
        "montant": "12.5",
        "par": "Alice Leroy",
        "le": "2026-03-02T10:00:00+01:00",
    }
    assert (
        d.set_complement(APPROBATEUR, "   ") is None and d.set_complement(APPROBATEUR, " Deux sites ") == "Deux sites"
    )
    assert d.events == []  # no event: they travel with the transmission


def test_transmission_needs_the_signature_a_complete_version_and_every_flag_justified():
    d = declaration(saved=True, state=State.controlee)
    with pytest.raises(Invalid, match="Cochez la case de signature") as unsigned:
        d.check_transmit(APPROBATEUR, signed=False)
    assert unsigned.value.field == "signature"
    with pytest.raises(Conflict, match="1 anomalie signalée à justifier : « Taux de facturation »"):
        transmit(d, results=[FLAG])
    with pytest.raises(Conflict, match="déjà été transmise"):
        d.transmit(
            APPROBATEUR,
            signed=True,
            expected_version=2,  # controlled as another version
            complement=None,
            results=[],
            figures={},
            estimate=None,
            sealed=seal(),
            now=NOW,
        )
    unsaved = declaration(state=State.en_cours)
    assert obstacles(unsaved.forms, [BLOCKING]) == [
        "formulaires jamais enregistrés : données d'activité, données financières",
        "1 anomalie bloquante à corriger : « Heures »",
    ]
    assert d.events == [] and d.state == State.controlee


def test_a_transmission_freezes_the_version_and_announces_it():
    d = declaration(saved=True, state=State.controlee)
    justified = {**FLAG, "justification": {"texte": "…", "montant": "1"}}
    sent = transmit(d, results=[justified])
    assert (d.state, [f.state for f in d.forms], d.controls) == (State.transmise, [State.transmise] * 2, [justified])
    assert (sent.version, sent.snapshot_hash, sent.receipt, sent.new) == (1, "b" * 64, b"%PDF", True)
    [event] = d.pull_events()
    assert isinstance(event.data, DeclarationTransmittedV1) and event.aggregate_version == 11
    assert (event.data.flagged_justified, event.data.estimate, event.data.revision) == (
        ["taux_facturation"],
        "1234.50",
        False,
    )
    assert (event.data.family, event.data.nature, event.data.declaration_version) == ("alsh", "periscolaire", 1)


def test_refusal_opens_the_next_version_and_its_revision_is_ordered_after_it():
    d = declaration(saved=True, state=State.controlee)
    d.control(APPROBATEUR, [], NOW)
    transmit(d)
    with pytest.raises(Invalid, match="Indiquez le motif \\(10 caractères au moins\\)."):
        d.refuse(INSTRUCTOR, "non", NOW)
    d.refuse(INSTRUCTOR, REASON, NOW)
    assert (d.state, d.version, d.refusal_reason, d.shown_refusal) == (State.refusee, 2, REASON, REASON)
    assert (d.controls, d.controlled_at, [f.state for f in d.forms]) == ([], None, [State.en_cours] * 2)
    assert (d.transmission.decision, d.transmission.decided_by_name) == (State.refusee, "Agnès Caf")

    save(d)  # revise
    assert d.state == State.en_revision
    d.control(APPROBATEUR, [], NOW)
    assert d.state == State.controlee
    save(d)  # a change after the controls, in a revision: still being revised
    assert d.state == State.en_revision and d.shown_refusal == REASON
    d.control(APPROBATEUR, [], NOW)
    transmit(d)
    assert d.transmission.version == 2
    d.validate(INSTRUCTOR, NOW, gap_justification_accepted=True)
    assert (d.state, d.version, d.shown_refusal) == (State.validee, 2, None)

    lifecycle = [
        e for e in d.pull_events() if e.subject == str(d.id) and not isinstance(e.data, DeclarationFiguresUpdatedV1)
    ]
    assert [(type(e.data).__name__, e.aggregate_version) for e in lifecycle] == [
        ("DeclarationControlledV1", 10),
        ("DeclarationTransmittedV1", 11),
        ("DeclarationRefusedV1", 12),
        ("DeclarationControlledV1", 20),
        ("DeclarationControlledV1", 20),
        ("DeclarationTransmittedV1", 21),
        ("DeclarationValidatedV1", 22),
    ]
    refused, revised, validated = lifecycle[2].data, lifecycle[5].data, lifecycle[6].data
    assert isinstance(refused, DeclarationRefusedV1) and (refused.declaration_version, refused.reason) == (1, REASON)
    assert isinstance(revised, DeclarationTransmittedV1) and (revised.declaration_version, revised.revision) == (
        2,
        True,
    )
    assert isinstance(validated, DeclarationValidatedV1) and validated.forecast_gap_justified is True
    assert validated.snapshot_hash == "b" * 64 and validated.activity_opening_date == date(2020, 9, 1)


def test_every_event_is_ordered_after_the_ones_of_its_kind_before_it():
    """Per subject: a form's saves and send-backs; the declaration's lifecycle (what notification compares); the
    figures announced with each save (what estimation compares, by the declaration's count of saves)."""
    d = declaration(saved=True, state=State.en_cours)
    d.control(APPROBATEUR, [], NOW)
    transmit(d)
    d.refuse(INSTRUCTOR, REASON, NOW)
    save(d)
    d.control(APPROBATEUR, [], NOW)
    transmit(d)
    d.cancel(INSTRUCTOR, REASON, NOW)
    events = d.pull_events()
    kinds = {(e.subject, isinstance(e.data, DeclarationFiguresUpdatedV1)) for e in events}
    assert len(kinds) == 3
    for subject, figures_updated in kinds:
        orders = [
            e.aggregate_version
            for e in events
            if e.subject == subject and isinstance(e.data, DeclarationFiguresUpdatedV1) == figures_updated
        ]
        assert orders == sorted(set(orders)), (subject, figures_updated)
    lifecycle = [e for e in events if e.subject == str(d.id) and not isinstance(e.data, DeclarationFiguresUpdatedV1)]
    assert [e.aggregate_version for e in lifecycle] == [10, 11, 12, 20, 21, 22]
    [cancelled] = [e for e in events if isinstance(e.data, DeclarationCancelledV1)]
    assert (cancelled.aggregate_version, cancelled.data.declaration_version, d.state) == (22, 2, State.annulee)


def test_a_refused_declaration_is_cancelled_without_a_transmission_of_its_new_version():
    d = declaration(saved=True, state=State.refusee, version=2)
    d.cancel(INSTRUCTOR, REASON, NOW)
    [cancelled] = d.pull_events()
    assert cancelled.aggregate_version == 22 and d.transmission is None and d.state == State.annulee
