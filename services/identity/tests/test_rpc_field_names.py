"""identity's refusals name the field as the public API names it: the gateway forwards them without a map."""

from __future__ import annotations

from typing import get_args

import pytest

from afas_identity.domain.conventions import ConventionKind, State, Status
from afas_shared.contracts.rpc import identity as contract
from afas_shared.messaging.rpc import RemoteError
from afas_shared.testing.credentials import operator_credential
from afas_shared.testing.fixtures import running

AGENT = {
    "caf": "080",
    "nom": "Moreau",
    "prenom": "Léa",
    "email": "lea.moreau@caf-somme.example",
    "email_confirmation": "lea.moreau@caf-somme.example",
    "roles_caf": ["instruction"],
}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "pas-une-adresse"}, "email"),  # the contract's own check
        ({"telephone": "12", "telephone_confirmation": "12"}, "telephone"),  # identity's rule
        ({"email_confirmation": "autre@caf-somme.example"}, "email_confirmation"),
        ({"caf": "999"}, "caf"),
        ({"roles_caf": ["parametrage_national"]}, "roles_caf"),
        ({"date_ouverture": "2026-03-10", "date_fermeture": "2026-03-01"}, "date_fermeture"),
    ],
)
async def test_a_refused_agent_names_the_apis_field(make_settings, change, field):
    async with running(make_settings("identity")) as identity:
        with pytest.raises(RemoteError) as refused:
            await identity.request(
                "identity", "create_caf_agent", {**AGENT, **change}, credential=await operator_credential(identity)
            )
    assert (refused.value.error, refused.value.field) == ("invalid", field)
    assert refused.value.detail and refused.value.detail[0].isupper()  # French, as the API shows it


def test_the_contracts_values_are_identitys():
    assert set(get_args(contract.ConventionKind)) == {k.value for k in ConventionKind}
    status = contract.ConventionFiltersV1.model_fields["status"].annotation
    state = contract.ConventionFiltersV1.model_fields["state"].annotation
    assert {v for a in get_args(status) for v in get_args(a)} == {s.value for s in Status}
    assert {v for a in get_args(state) for v in get_args(a)} == {s.value for s in State}
