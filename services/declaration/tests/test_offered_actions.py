"""What a page offers is what the aggregate accepts: ``lifecycle.refusal`` answers, for every transition, actor and
state, exactly what ``authorize`` then ``require_state`` would raise — the pages ask it, the API is refused by it."""

from __future__ import annotations

import pytest

from afas_declaration.application.drafts import offered
from afas_declaration.domain.errors import Conflict, Forbidden
from afas_declaration.domain.lifecycle import OPEN, READY, TO_CONTROL, Transition, allows, refusal
from afas_shared.contracts.declaration_states import DeclarationState as State
from services.declaration.tests.test_declaration_aggregate import (
    ACTIVITY_FORM,
    APPROBATEUR,
    INSTRUCTOR,
    PROVIDER,
    STRANGER,
    declaration,
)

ACTORS = {"approbateur": APPROBATEUR, "fournisseur": PROVIDER, "instruction": INSTRUCTOR, "autre": STRANGER}
DECLARATION_STATES = [s for s in State if s is not State.a_corriger]  # a form's state only


def _raised(state: State, actor, transition: Transition) -> str | None:
    d = declaration(state)
    try:
        d.authorize(actor, transition, ACTIVITY_FORM)
        d.require_state(transition)
    except (Forbidden, Conflict) as refused:
        return str(refused)
    return None


@pytest.mark.parametrize("state", DECLARATION_STATES)
def test_the_question_the_pages_ask_gets_the_answer_the_aggregate_gives(state):
    for actor in ACTORS.values():
        for transition in Transition:
            expected = _raised(state, actor, transition)
            assert refusal(actor, transition, state, ACTIVITY_FORM) == expected, (actor.name, transition, state)
            assert allows(actor, transition, state, ACTIVITY_FORM) is (expected is None)


@pytest.mark.parametrize("state", DECLARATION_STATES)
def test_transmission_is_offered_to_the_approbateur_only_on_a_controlled_open_declaration(state):
    for name, actor in ACTORS.items():
        actions, impossible = offered(actor, state)
        assert actions["transmettre"] is (name == "approbateur" and state in READY)
        assert set(impossible) == {action for action, may in actions.items() if not may}
        if name == "approbateur" and state in OPEN - READY:
            assert impossible["transmettre"] == TO_CONTROL
        # a Caf's instructor never fills, controls or signs; a partner never decides
        assert not (name == "instruction" and (actions["controler"] or actions["transmettre"]))
        assert not (name != "instruction" and (actions["valider"] or actions["annuler"]))
