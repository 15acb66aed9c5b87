"""Notification learns where to reach each new user from identity's events."""

from __future__ import annotations

import uuid
from datetime import date

from afas_shared.contracts.events.identity import UserCreatedV1, UserUpdatedV1
from afas_shared.read_models.user_directory import KnownUser, list_known_users
from afas_shared.testing.credentials import operator_credential
from afas_shared.testing.delivery import deliver, event
from afas_shared.testing.fixtures import eventually, running

OPERATOR_CREATES_AGENT = {
    "caf": "080",
    "nom": "Moreau",
    "prenom": "Léa",
    "email": "Lea.Moreau@caf-somme.example",
    "email_confirmation": "lea.moreau@caf-somme.example",
    "roles_caf": ["instruction"],
}


async def test_new_user_becomes_a_recipient(make_settings):
    async with running(make_settings("identity")) as identity, running(make_settings("notification")) as notif:
        await identity.request(
            "identity", "create_caf_agent", OPERATOR_CREATES_AGENT, credential=await operator_credential(identity)
        )
        [recipient] = await eventually(lambda: list_known_users(notif.db), timeout=10)
    assert recipient["email"] == "lea.moreau@caf-somme.example"


def _user(user_id: uuid.UUID) -> UserCreatedV1:
    return UserCreatedV1(
        user_id=user_id,
        identifier="123456789",
        last_name="Martin",
        first_name="Inès",
        email="ines@asso.example",
        partner_id=uuid.uuid4(),
    )


async def test_a_users_update_before_its_creation_is_kept_and_applied_when_it_arrives(make_settings):
    user_id = uuid.uuid4()
    update = UserUpdatedV1(
        user_id=user_id,
        last_name="Durand",
        first_name="Inès",
        email="ines.durand@asso.example",
        mobility="sedentaire",
        opening_date=date(2026, 1, 1),
    )
    async with running(make_settings("notification")) as runtime:
        assert await deliver(runtime, event(update, user_id, 2)) == "handled"  # kept, never retried to a dead letter
        assert await deliver(runtime, event(_user(user_id), user_id, 1)) == "handled"
        async with runtime.db.sessions() as session:
            user = await session.get(KnownUser, user_id)
    assert (user.last_name, user.email, user.identifier) == ("Durand", "ines.durand@asso.example", "123456789")
