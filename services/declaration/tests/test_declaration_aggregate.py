"""The declaration aggregate, without a database: every transition allowed or refused by who makes it and by the
declaration's state, the events each one records and their order (``aggregate_version``), and the version
numbering across a refusal and its revision."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from afas_declaration.domain.declaration import Declaration
from afas_declaration.domain.declaration_parts import Form, Sealed, Transmission
from afas_declaration.domain.errors import Conflict, Forbidden
from afas_declaration.domain.lifecycle import AWAITING_INPUT, FINAL, OPEN, Actor, Transition
from afas_shared.contracts.declaration_states import DeclarationState, label_of
from afas_shared.contracts.declaration_states import DeclarationState as State

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
    Transition.transmit: {State.controlee},  # controlled, nothing saved since (the lifecycle's diagram)
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
