"""Two rules the pages offer an action by and the API checks it with (issue 18): « Renvoyer au fournisseur » on a
form (``lifecycle.send_back_refusal``), and the acceptance of a gap justification on a validation
(``gap_justification.acceptance_refusal``) — what the rule answers beforehand is what the aggregate does."""

from __future__ import annotations

import pytest

from afas_declaration.domain.errors import Conflict, Forbidden, Invalid
from afas_declaration.domain.gap_justification import NOT_READ_THERE, acceptance_refusal
from afas_declaration.domain.lifecycle import NOTHING_TO_SEND_BACK, OPEN, send_back_refusal
from afas_shared.contracts.declaration_states import DeclarationState as State
from services.declaration.tests.test_declaration_aggregate import (
    ACTIVITY_FORM,
    ACTORS,
    DECLARATION_STATES,
    INSTRUCTOR,
    NOW,
    declaration,
)

COMMENT = "Les heures de mars manquent."


@pytest.mark.parametrize("saved", [True, False])
@pytest.mark.parametrize("requested", [True, False])
@pytest.mark.parametrize("state", DECLARATION_STATES)
@pytest.mark.parametrize("who", ACTORS)
def test_a_form_is_offered_to_send_back_exactly_where_the_aggregate_sends_it_back(who, state, requested, saved):
    actor, d = ACTORS[who], declaration(state, saved=saved)
    d.form(ACTIVITY_FORM).requested = requested
    answer = send_back_refusal(actor, state, ACTIVITY_FORM, requested, saved)
    try:
        d.send_back(actor, ACTIVITY_FORM, COMMENT)
    except (Forbidden, Conflict) as refused:
        assert answer == str(refused), (answer, refused)
    else:
        assert answer is None
        assert d.form(ACTIVITY_FORM).state is State.a_corriger
    allowed = who == "approbateur" and requested and saved and state in OPEN
    assert (answer is None) is allowed, answer
    if who == "approbateur" and requested and not saved and state in OPEN:
        assert answer == NOTHING_TO_SEND_BACK


def test_an_empty_comment_is_refused_in_french_before_anything_changes():
    d = declaration(State.en_cours, saved=True)
    for comment in ("", "   ", "ok"):
        with pytest.raises(Invalid, match="Expliquez au fournisseur ce qu'il doit corriger"):
            d.send_back(ACTORS["approbateur"], ACTIVITY_FORM, comment)
    assert d.form(ACTIVITY_FORM).state is not State.a_corriger and d.pull_events() == []


@pytest.mark.parametrize(
    ("declaration_type", "carries"),
    [("reelle", True), ("previsionnelle", True), ("actualisee_juin", False), ("actualisee_septembre", False)],
)
def test_a_validation_carries_the_gap_acceptance_only_where_estimation_reads_it(declaration_type, carries):
    assert (acceptance_refusal(declaration_type) is None) is carries
    d = declaration(State.transmise)
    d.declaration_type = declaration_type
    if carries:
        d.validate(INSTRUCTOR, NOW, gap_justification_accepted=True)
        assert d.state is State.validee and d.pull_events()[-1].data.forecast_gap_justified is True
        return
    with pytest.raises(Invalid, match="une déclaration actualisée n'en porte pas") as refused:
        d.validate(INSTRUCTOR, NOW, gap_justification_accepted=True)
    assert str(refused.value) == NOT_READ_THERE
    assert d.state is State.transmise and d.pull_events() == []
    d.validate(INSTRUCTOR, NOW)  # without the acceptance, the same validation is made
    assert d.state is State.validee and d.pull_events()[-1].data.forecast_gap_justified is False
