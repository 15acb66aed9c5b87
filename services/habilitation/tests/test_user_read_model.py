"""Habilitation keeps its own copy of users from identity's events, newest version wins."""

from __future__ import annotations

import uuid

from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.identity import UserCreatedV1
from afas_shared.read_models.user_directory import list_known_users, on_user_created
from afas_shared.testing.credentials import operator_credential
from afas_shared.testing.fixtures import eventually, running


def _event(user_id: uuid.UUID, version: int, last_name: str) -> Envelope:
    data = UserCreatedV1(
        user_id=user_id, identifier="123456789", last_name=last_name, first_name="Inès", email="ines@asso.fr"
    )
    return Envelope.wrap(data, subject=str(user_id), aggregate_version=version, correlation_id="c")


OPERATOR_CREATES_AGENT = {
    "caf": "080",
    "nom": "Moreau",
    "prenom": "Léa",
    "email": "Lea.Moreau@caf-somme.example",
    "email_confirmation": "lea.moreau@caf-somme.example",
    "roles_caf": ["instruction"],
}


async def test_stale_event_does_not_overwrite_a_newer_one(make_settings):
    async with running(make_settings("habilitation")) as habilitation:
        user_id = uuid.uuid4()
        for version, name in ((2, "Nouveau"), (1, "Ancien"), (2, "Rejoué")):
            async with habilitation.unit_of_work() as uow:
                await on_user_created(uow, _event(user_id, version, name))
        [user] = await list_known_users(habilitation.db)
    assert user["last_name"] == "Nouveau"


async def test_user_created_in_identity_reaches_habilitation_over_the_bus(make_settings):
    async with running(make_settings("identity")) as identity, running(make_settings("habilitation")) as hab:
        created = (
            await identity.request(
                "identity", "create_caf_agent", OPERATOR_CREATES_AGENT, credential=await operator_credential(identity)
            )
        )["result"]
        users = await eventually(lambda: list_known_users(hab.db), timeout=10)
    assert [(u["user_id"], u["identifier"]) for u in users] == [(created["id"], created["identifiant"])]


async def test_an_update_changes_name_and_mail_and_is_kept_until_its_creation(make_settings):
    from afas_shared.contracts.events.identity import UserUpdatedV1
    from afas_shared.read_models import early_events
    from afas_shared.testing.delivery import deliver

    user_id = uuid.uuid4()
    update = UserUpdatedV1(
        user_id=user_id,
        last_name="Durand",
        first_name="Inès",
        email="ines.durand@asso.fr",
        mobility="sedentaire",
        opening_date="2026-01-01",
    )
    envelope = Envelope.wrap(update, subject=str(user_id), aggregate_version=2, correlation_id="c")
    async with running(make_settings("habilitation")) as habilitation:
        # Before its creation: kept (handled, never retried into a dead letter), nobody listed yet
        assert await deliver(habilitation, envelope) == "handled"
        assert await list_known_users(habilitation.db) == []
        assert await deliver(habilitation, _event(user_id, 1, "Martin")) == "handled"
        [user] = await list_known_users(habilitation.db)
        async with habilitation.db.sessions() as session:
            assert await early_events.waiting(session, f"known_user:{user_id}") == []
        # The same update again under a new id: a counted no-op
        assert await deliver(habilitation, envelope.model_copy(update={"id": uuid.uuid4()})) == "stale"
    assert (user["last_name"], user["email"], user["identifier"]) == ("Durand", "ines.durand@asso.fr", "123456789")
