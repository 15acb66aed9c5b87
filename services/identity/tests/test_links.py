"""One-time links: the event carries a reference only, the URL is composed again on demand (also after a restart),
and using one link ends the user's other outstanding links."""

from __future__ import annotations

import json
import uuid

import pytest
import sqlalchemy as sa

from afas_identity.adapters.tables import OneTimeLink, UserAccount
from afas_identity.application import links, passwords
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.messaging.tables import OutboxRecord
from afas_shared.testing.fixtures import running

NEW_PASSWORD = "Reinit-Compte-2026!"


async def _user(runtime) -> UserAccount:
    async with runtime.db.transaction() as session:
        user = UserAccount(
            id=uuid.uuid4(),
            identifier="212345678",
            last_name="Roux",
            first_name="Léa",
            email="lea.roux@asso.example",
            status="actif",
        )
        session.add(user)
    return user


async def _reset_link(runtime, user) -> uuid.UUID:
    async with runtime.unit_of_work() as uow:
        await links.send_reset(uow, runtime, await uow.session.get(UserAccount, user.id))
    async with runtime.db.sessions() as session:
        row = (
            (await session.execute(sa.select(OutboxRecord).order_by(OutboxRecord.seq.desc()).limit(1))).scalars().one()
        )
    assert row.subject.endswith("identity.password_reset_requested.v2")
    return uuid.UUID(json.loads(row.payload)["data"]["link_id"])


async def test_the_event_carries_a_reference_and_the_url_survives_a_restart(make_settings):
    settings = make_settings("identity")
    async with running(settings) as identity:
        user = await _user(identity)
        older, newer = await _reset_link(identity, user), await _reset_link(identity, user)
        url = (await links.mail_link(identity, newer, "reset"))["url"]
        token = url.split("jeton=")[1]
        async with identity.db.sessions() as session:
            outbox = " ".join(r.payload for r in (await session.execute(sa.select(OutboxRecord))).scalars())
            hashes = [r.token_hash for r in (await session.execute(sa.select(OneTimeLink))).scalars()]
        assert token not in outbox and "jeton" not in outbox and token not in hashes
        with pytest.raises(RpcFailure):
            await links.mail_link(identity, newer, "activation")  # a reset link is not an activation link
    async with running(settings) as restarted:  # same database: the same URL, and it works
        assert (await links.mail_link(restarted, newer, "reset"))["url"] == url
        await passwords.reset(restarted, token, NEW_PASSWORD, NEW_PASSWORD)
        for used in (older, newer):  # the newer one served, the older one ended with it
            with pytest.raises(RpcFailure) as refused:
                await links.mail_link(restarted, used, "reset")
            assert refused.value.code == "invalid"
        with pytest.raises(RpcFailure):
            await passwords.reset(restarted, token, "Encore-Un-2026!", "Encore-Un-2026!")


async def test_an_unknown_reference_gets_no_url(make_settings):
    async with running(make_settings("identity")) as identity:
        with pytest.raises(RpcFailure) as refused:
            await links.mail_link(identity, uuid.uuid4(), "reset")
    assert refused.value.code == "not_found"
