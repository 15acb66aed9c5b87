"""The declaration aggregate, without a database: every transition allowed or refused by who makes it and by the
declaration's state, the events each one records and their order (``aggregate_version``), and the version
numbering across a refusal and its revision."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from afas_declaration.domain.declaration import (
    AWAITING_INPUT,
    FINAL,
    OPEN,
    Actor,
    Declaration,
    Form,
    Sealed,
    State,
    Transition,
    Transmission,
    obstacles,
)
from afas_declaration.domain.errors import Conflict, Forbidden, Invalid, NotFound
from afas_shared.contracts.declaration_states import DeclarationState, label_of
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

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ACTIVITY_FORM, FINANCIAL_FORM = uuid.uuid4(), uuid.uuid4()
REASON = "Les heures facturées dépassent le contrat."
FLAG = {
    "cle": "taux_facturation",
    "statut": "anomalie",
    "severite": "flag",
    "a_justifier": True,
    "justification": None,
    "libelle": "Taux de facturation",
    "lieu": None,
}
BLOCKING = {**FLAG, "cle": "heures", "severite": "blocking", "a_justifier": False, "libelle": "Heures"}

APPROBATEUR = Actor(uuid.uuid4(), "Alice Leroy", member=True, approbateur=True, fills=frozenset({ACTIVITY_FORM}))
PROVIDER = Actor(uuid.uuid4(), "Karim Bernard", member=True, fills=frozenset({ACTIVITY_FORM}))
INSTRUCTOR = Actor(uuid.uuid4(), "Agnès Caf", instructor=True)
STRANGER = Actor(uuid.uuid4(), "Paul Ailleurs")


def declaration(state: State = State.a_saisir, version: int = 1, saved: bool = False) -> Declaration:
    forms = [
        Form(ACTIVITY_FORM, "activite", version=1 if saved else 0),
        Form(FINANCIAL_FORM, "financier", version=1 if saved else 0),
    ]
    d = Declaration(
        id=uuid.uuid4(),
        campaign_id=uuid.uuid4(),
        activity_id=uuid.uuid4(),
        partner_id=uuid.uuid4(),
        caf_code="080",
        exercice=2026,
        declaration_type="previsionnelle",
        family="alsh",
        nature="periscolaire",
        activity_opening_date=date(2020, 9, 1),
        state=state,
        version=version,
        forms=forms,
    )
    if state in (State.transmise, State.validee):
        d.transmission = Transmission(version, "a" * 64, {"heures": "10"}, APPROBATEUR.user_id, "Alice Leroy", NOW)
    return d


def figures(forms) -> dict[str, str]:
    return {"formulaires_enregistres": str(sum(f.version for f in forms))}


def save(d: Declaration, actor: Actor = PROVIDER, form_id: uuid.UUID = ACTIVITY_FORM) -> Form:
    return d.save_form(
        actor, form_id, expected_version=d.form(form_id).version, values={"heures": "10"}, now=NOW, figures=figures
    )


def seal() -> Sealed:
    return Sealed('{"version": 1}', "b" * 64, b"%PDF", "Alice Leroy")


def transmit(d: Declaration, actor: Actor = APPROBATEUR, results: list | None = None):
    return d.transmit(
        actor,
        signed=True,
        expected_version=d.version,
        complement=None,
        results=results or [],
        figures={"heures": "10"},
        estimate="1234.50",
        sealed=seal(),
        now=NOW,
    )


# What each transition needs of the declaration besides its state, and how it is made
MAKE = {
    Transition.save: lambda d, a: d.save_form(
        a, ACTIVITY_FORM, expected_version=d.form(ACTIVITY_FORM).version, values={}, now=NOW, figures=figures
    ),
    Transition.send_back: lambda d, a: d.send_back(a, ACTIVITY_FORM, "Les heures de mars manquent."),
    Transition.justify: lambda d, a: d.justify(
        a, FLAG["cle"], "Séjour ski annulé faute de neige cette année", Decimal(12), NOW
    ),
    Transition.complement: lambda d, a: d.set_complement(a, "Ouverture d'un second site."),
    Transition.control: lambda d, a: d.control(a, [], NOW),
    Transition.transmit: lambda d, a: transmit(d, a),
    Transition.validate: lambda d, a: d.validate(a, NOW),
    Transition.refuse: lambda d, a: d.refuse(a, REASON, NOW),
    Transition.cancel: lambda d, a: d.cancel(a, REASON, NOW),
}
ALLOWED = {
    Transition.save: {"approbateur", "provider"},
    Transition.send_back: {"approbateur"},
    Transition.justify: {"approbateur"},
    Transition.complement: {"approbateur"},
    Transition.control: {"approbateur", "provider"},
    Transition.transmit: {"approbateur"},
    Transition.validate: {"instructor"},
    Transition.refuse: {"instructor"},
    Transition.cancel: {"instructor"},
}
ACTORS = {"approbateur": APPROBATEUR, "provider": PROVIDER, "instructor": INSTRUCTOR, "stranger": STRANGER}
FROM_STATES = {
    Transition.save: OPEN,
    Transition.send_back: OPEN,
    Transition.justify: OPEN,
    Transition.complement: OPEN,
    Transition.control: OPEN,
    Transition.transmit: OPEN,
    Transition.validate: {State.transmise},
    Transition.refuse: {State.transmise},
    Transition.cancel: set(State) - {State.validee, State.annulee},
}
DECLARATION_STATES = [s for s in State if s is not State.a_corriger]  # « À corriger » is a form's state only


def ready_for(transition: Transition, state: State) -> Declaration:
    """A declaration in ``state`` where nothing but the state and the actor stands in the way of ``transition``."""
    d = declaration(state, saved=True)
    d.controls = [FLAG]
    return d


@pytest.mark.parametrize("transition", list(Transition))
@pytest.mark.parametrize("who", list(ACTORS))
def test_who_may_make_each_transition(transition, who):
    d = ready_for(transition, next(s for s in DECLARATION_STATES if s in FROM_STATES[transition]))
    if who in ALLOWED[transition]:
        MAKE[transition](d, ACTORS[who])
    else:
        with pytest.raises(Forbidden):
            MAKE[transition](d, ACTORS[who])


@pytest.mark.parametrize("transition", list(Transition))
@pytest.mark.parametrize("state", DECLARATION_STATES)
def test_from_which_states_each_transition_is_made(transition, state):
    d = ready_for(transition, state)
    actor = ACTORS[sorted(ALLOWED[transition])[0]]
    if state in FROM_STATES[transition]:
        MAKE[transition](d, actor)
        assert d.events or transition in (Transition.justify, Transition.complement)
    else:
        with pytest.raises(Conflict):
            MAKE[transition](d, actor)
        assert d.events == [] and d.state == state


def test_the_states_keep_their_stored_codes_and_french_labels():
    assert [s.value for s in DeclarationState] == [
        "a_saisir",
        "en_cours",
        "a_corriger",
        "controlee",
        "transmise",
        "validee",
        "refusee",
        "en_revision",
        "annulee",
    ]
    assert (State.en_cours.label, State.transmise.label, State.annulee.label) == (
        "En cours de saisie",
        "Transmise Caf",
        "Annulée Caf",
    )
    assert label_of("inconnu") == "inconnu"
    assert AWAITING_INPUT == OPEN - {State.controlee} and FINAL == {State.validee, State.annulee}


def test_a_decision_on_a_final_declaration_names_its_state():
    with pytest.raises(Conflict, match="Cette déclaration est déjà validée caf."):
        declaration(State.validee).refuse(INSTRUCTOR, REASON, NOW)
    with pytest.raises(Conflict, match="Seule une déclaration transmise à la Caf se valide ou se refuse."):
        declaration(State.controlee).validate(INSTRUCTOR, NOW)


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
    with pytest.raises(Conflict, match="1 anomalie\\(s\\) signalée\\(s\\) à justifier : « Taux de facturation »"):
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
        "1 anomalie(s) bloquante(s) à corriger : « Heures »",
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
