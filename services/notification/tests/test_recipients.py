"""Notification learns where to reach each new user from identity's events."""

from __future__ import annotations

from afas_shared.read_models.user_directory import list_known_users
from afas_shared.testing.fixtures import eventually, running


async def test_new_user_becomes_a_recipient(make_settings):
    async with running(make_settings("identity")) as identity, running(make_settings("notification")) as notif:
        await identity.request(
            "identity", "create_user", {"last_name": "Simon", "first_name": "Éric", "email": "eric.simon@cc-somme.fr"}
        )
        [recipient] = await eventually(lambda: list_known_users(notif.db), timeout=10)
    assert recipient["email"] == "eric.simon@cc-somme.fr"
