"""The gateway's typed calls: every public body maps onto its request contract by name, with no map between."""

from __future__ import annotations

import uuid

import pytest
from fastapi import HTTPException

from afas_declaration.gateway.api import activity_schemas as a
from afas_declaration.gateway.api import estimation_routes as e
from afas_declaration.gateway.api import identity_schemas as i
from afas_declaration.gateway.api import notification_routes as n
from afas_declaration.gateway.clients.typed_calls import carry, from_form, payload_of
from afas_shared.contracts.rpc import estimation, notification
from afas_shared.contracts.rpc import habilitation as h
from afas_shared.contracts.rpc import identity as c
from afas_shared.text import InputModel

# Each API body, and the request the gateway carries it in (see the routes)
CARRIED = [
    (i.Login, c.LoginRequestV1),
    (i.NewPassword, c.NewPasswordRequestV1),
    (i.PasswordChange, c.PasswordChangeRequestV1),
    (i.ResetRequest, c.ResetRequestV1),
    (i.PartnerBody, c.UpdatePartnerRequestV1),
    (i.Delegation, c.DelegationRequestV1),
    (i.ConventionBody, c.SignConventionRequestV1),
    (i.Closing, c.CloseConventionRequestV1),
    (i.Closing, c.CloseUserRequestV1),
    (i.UserBody, c.UpdateUserRequestV1),
    (i.CafAgentBody, c.CreateCafAgentRequestV1),
    (i.Suspension, c.SuspendUserRequestV1),
    (i.MembershipBody, c.AddToGroupRequestV1),
    (a.ActivityBody, h.UpdateActivityRequestV1),
    (a.ActivityClosing, h.CloseActivityRequestV1),
    (a.GrantBody, h.GrantRequestV1),
    (a.Refusal, h.DecideGrantRequestV1),
    (n.PreferencesBody, notification.PreferencesRequestV1),
    (n.ReminderSettingsBody, notification.SetReminderSettingsRequestV1),
    (e.ParameterChangeBody, estimation.SetParameterRequestV1),
    (e.LocalParameterBody, estimation.SetParameterRequestV1),
    (e.TerritoryBody, estimation.SetTerritoryRequestV1),
    (e.ActivityTerritoryBody, estimation.AssignTerritoryRequestV1),
    (e.PaymentPolicyBody, estimation.SetPaymentPolicyRequestV1),
    (e.PriorPaymentsBody, estimation.PriorPaymentsRequestV1),
    (e.PriorActualBody, estimation.PriorActualRequestV1),
]


@pytest.mark.parametrize(("body", "request_model"), CARRIED, ids=lambda m: m.__name__)
def test_every_field_of_a_public_body_is_a_field_of_its_request(body: type[InputModel], request_model):
    """Renaming a field in identity or habilitation breaks here, not silently in a page."""
    assert set(body.model_fields) <= request_model.wire_names()


def test_a_body_field_the_request_lacks_is_refused_before_the_call():
    class Renamed(InputModel):
        nom_de_famille: str

    with pytest.raises(TypeError, match="nom_de_famille"):
        carry(c.UpdateUserRequestV1, Renamed(nom_de_famille="Martin"), user_id=uuid.uuid4())


def test_a_value_the_contract_refuses_is_the_422_naming_the_apis_field():
    with pytest.raises(HTTPException) as refused:
        from_form(c.AddToGroupRequestV1, user_id=str(uuid.uuid4()), groupe="AFAS-INCONNU")
    assert refused.value.status_code == 422
    assert refused.value.detail[0]["loc"] == ["body", "groupe"]
    assert refused.value.detail[0]["msg"].startswith("Valeur invalide pour groupe")


def test_the_bus_carries_the_apis_names_and_only_the_verbs_request():
    user = {"nom": "Martin", "prenom": "Claire", "email": "c@amiens.fr", "email_confirmation": "c@amiens.fr"}
    request = from_form(c.CreateUserRequestV1, partner_id=str(uuid.uuid4()), **user, telephone="0322000000")
    payload = payload_of("identity", "create_user", request)
    assert {"nom", "prenom", "telephone", "partner_id"} <= set(payload)
    assert "last_name" not in payload and "phone" not in payload
    with pytest.raises(TypeError, match="UpdateUserRequestV1"):
        payload_of("identity", "update_user", request)


def test_a_filter_the_contract_refuses_is_the_services_422_not_an_unhandled_error():
    """Query filters and path ids built by the gateway itself go through the contract too (the fuzz found
    control characters in ``GET /grants?nature=`` answered 500 when the model was built directly)."""
    from fastapi import HTTPException

    from afas_declaration.gateway.clients.typed_calls import typed
    from afas_shared.contracts.rpc import habilitation as h

    with pytest.raises(HTTPException) as refused:
        typed(h.GrantFiltersV1, nature="multi\x00accueil")
    assert refused.value.status_code == 422
    assert refused.value.detail[0]["loc"][-1] == "nature"
    assert "Caractère interdit" in refused.value.detail[0]["msg"]
    assert typed(h.GrantFiltersV1, nature="multi_accueil", type="eaje_psu").family == "eaje_psu"
