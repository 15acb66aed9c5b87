"""The use cases' refusals (``application/errors.py``) reach the bus and HTTP through one mapping, with the same
codes, statuses and French messages as when the use cases raised the bus's RpcFailure themselves."""

from __future__ import annotations

import pytest
from fastapi import HTTPException

from afas_declaration.application.errors import Conflict, Forbidden, Invalid, NotFound, Refused
from afas_declaration.gateway.clients.service_calls import REFUSAL_CODES, as_rpc_failure, call_local
from afas_shared.auth.caller import forwarded_caller
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.refusals import Unauthorized
from afas_shared.text import refuse_forbidden_characters


async def _refusing(error: Exception):
    raise error


@pytest.mark.parametrize(
    ("refusal", "code", "status"),
    [
        (Conflict("Cette déclaration a déjà été transmise à la Caf."), "conflict", 409),
        (Forbidden("Cette déclaration n'est pas dans votre périmètre."), "forbidden", 403),
        (NotFound("Formulaire inconnu."), "not_found", 404),
    ],
)
async def test_a_refusal_keeps_its_message_and_gets_its_status(refusal, code, status):
    failure = as_rpc_failure(refusal)
    assert (failure.code, failure.detail, failure.field) == (code, refusal.detail, None)
    with pytest.raises(HTTPException) as answer:
        await call_local(_refusing(refusal))
    assert answer.value.status_code == status and answer.value.detail == refusal.detail


async def test_an_invalid_input_names_its_field_as_the_api_spells_it():
    refusal = Invalid("La date limite doit être postérieure à la date d'ouverture.", "date_limite")
    assert as_rpc_failure(refusal).field == "date_limite"
    with pytest.raises(HTTPException) as answer:
        await call_local(_refusing(refusal))
    assert answer.value.status_code == 422
    assert answer.value.detail == [
        {
            "loc": ["body", "date_limite"],
            "msg": "La date limite doit être postérieure à la date d'ouverture.",
            "type": "value_error",
        }
    ]


async def test_the_refusal_of_a_shared_helper_is_answered_as_before():
    async def justified_with_a_control_character():
        refuse_forbidden_characters("Écart\x07 justifié", "texte", multiline=True)

    with pytest.raises(HTTPException) as answer:
        await call_local(justified_with_a_control_character())
    assert answer.value.status_code == 422 and answer.value.detail[0]["loc"] == ["body", "texte"]
    with pytest.raises(HTTPException) as anonymous:
        await call_local(_refusing(Unauthorized("Authentification requise.")))
    assert anonymous.value.status_code == 401 and anonymous.value.headers == {"WWW-Authenticate": "Bearer"}


def test_the_shared_helpers_refuse_independently_of_the_bus():
    with pytest.raises(Refused) as no_claims:
        forwarded_caller({"actor": {}})
    with pytest.raises(Refused) as control_character:
        refuse_forbidden_characters("a\x00b", "motif")
    assert (no_claims.value.code, control_character.value.code) == ("unauthorized", "invalid")
    assert not isinstance(no_claims.value, RpcFailure) and not isinstance(control_character.value, RpcFailure)


def test_every_refusal_has_a_code():
    kinds = {Invalid, Conflict, Forbidden, NotFound}
    assert set(REFUSAL_CODES) == kinds
    assert {kind.__base__ for kind in kinds} == {Refused}
