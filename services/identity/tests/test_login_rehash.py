"""A password hashed with older argon2id parameters still logs in, and is stored again with the settings' ones."""

from __future__ import annotations

import uuid

import pytest

from afas_identity.adapters.tables import UserAccount
from afas_identity.application import sessions
from afas_identity.domain.passwords import RFC_9106_LOW_MEMORY, HashParameters, hash_password, needs_rehash
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.testing.fixtures import running

PASSWORD = "Tournesol-Bleu-2026!"
# cheap parameters, so that the test spends its time on behaviour and not on argon2
SETTINGS_PARAMETERS = HashParameters(memory_kib=8 * 1024, time_cost=2, parallelism=1)


async def _user_hashed_with(runtime, params: HashParameters) -> uuid.UUID:
    async with runtime.db.transaction() as session:
        user = UserAccount(
            id=uuid.uuid4(),
            identifier="298765432",
            last_name="Roux",
            first_name="Léa",
            email="lea.roux@asso.example",
            status="actif",
            password_hash=hash_password(PASSWORD, params),
        )
        session.add(user)
    return user.id


async def _stored_hash(runtime, user_id: uuid.UUID) -> str:
    async with runtime.db.sessions() as session:
        return (await session.get(UserAccount, user_id)).password_hash


def _settings(make_settings):
    return make_settings(
        "identity",
        password_memory_kib=SETTINGS_PARAMETERS.memory_kib,
        password_time_cost=SETTINGS_PARAMETERS.time_cost,
        password_parallelism=SETTINGS_PARAMETERS.parallelism,
    )


async def test_an_old_hash_logs_in_and_is_rehashed_with_the_settings_parameters(make_settings):
    async with running(_settings(make_settings)) as identity:
        user_id = await _user_hashed_with(identity, RFC_9106_LOW_MEMORY)
        old = await _stored_hash(identity, user_id)
        assert "m=65536,t=3,p=4" in old
        await sessions.login(identity, "298765432", PASSWORD, None)
        new = await _stored_hash(identity, user_id)
        assert new != old and "m=8192,t=2,p=1" in new
        assert not needs_rehash(new, SETTINGS_PARAMETERS)
        await sessions.login(identity, "298765432", PASSWORD, None)  # the new hash logs in, and stays
        assert await _stored_hash(identity, user_id) == new


async def test_a_wrong_password_never_rehashes(make_settings):
    async with running(_settings(make_settings)) as identity:
        user_id = await _user_hashed_with(identity, RFC_9106_LOW_MEMORY)
        old = await _stored_hash(identity, user_id)
        with pytest.raises(RpcFailure):
            await sessions.login(identity, "298765432", "Tournesol-Rouge-2026!", None)
        assert await _stored_hash(identity, user_id) == old


async def test_a_hash_with_todays_parameters_is_left_alone(make_settings):
    async with running(_settings(make_settings)) as identity:
        user_id = await _user_hashed_with(identity, SETTINGS_PARAMETERS)
        before = await _stored_hash(identity, user_id)
        await sessions.login(identity, "298765432", PASSWORD, None)
        assert await _stored_hash(identity, user_id) == before
