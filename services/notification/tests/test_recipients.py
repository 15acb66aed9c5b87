"""Notification learns where to reach each new user from identity's events."""

from __future__ import annotations

from afas_shared.read_models.user_directory import list_known_users
from afas_shared.testing.credentials import operator_credential
from afas_shared.testing.fixtures import eventually, running

OPERATOR_CREATES_AGENT = {
    "caf_code": "080",
    "user": {
        "last_name": "Moreau",
        "first_name": "Léa",
        "email": "Lea.Moreau@caf-somme.example",
        "email_confirmation": "lea.moreau@caf-somme.example",
        "caf_roles": ["instruction"],
    },
}


async def test_new_user_becomes_a_recipient(make_settings):
    async with running(make_settings("identity")) as identity, running(make_settings("notification")) as notif:
        await identity.request(
            "identity", "create_caf_agent", OPERATOR_CREATES_AGENT, credential=await operator_credential(identity)
        )
        [recipient] = await eventually(lambda: list_known_users(notif.db), timeout=10)
    assert recipient["email"] == "lea.moreau@caf-somme.example"
