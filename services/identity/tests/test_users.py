"""Creating a user stores it and announces it on the bus, in the published contract's shape."""

from __future__ import annotations

import nats
import pytest

from afas_identity.domain.users import new_identifier
from afas_shared.contracts.registry import parse
from afas_shared.messaging.rpc import RemoteError
from afas_shared.testing.credentials import operator_credential
from afas_shared.testing.fixtures import running

OPERATOR_CREATES_AGENT = {
    "caf": "080",
    "nom": "Moreau",
    "prenom": "Léa",
    "email": "Lea.Moreau@caf-somme.example",
    "email_confirmation": "lea.moreau@caf-somme.example",
    "roles_caf": ["instruction"],
}


def test_identifiers_are_nine_digits():
    assert all(len(i) == 9 and i.isdigit() and i[0] != "0" for i in (new_identifier() for _ in range(1000)))


async def test_created_user_is_published_as_identity_user_created_v1(make_settings, backends):
    async with running(make_settings("identity")) as identity:
        reply = await identity.request(
            "identity", "create_caf_agent", OPERATOR_CREATES_AGENT, credential=await operator_credential(identity)
        )
        user = reply["result"]
        nc = await nats.connect(backends.nats_url)
        try:
            sub = await nc.jetstream().pull_subscribe(
                identity.bus.names.subject("identity.user_created.v1"),
                durable=None,
                stream=identity.bus.names.stream("identity"),
            )
            [msg] = await sub.fetch(1, timeout=5)
        finally:
            await nc.close()
    envelope = parse("identity.user_created.v1", msg.data)
    assert msg.headers["Nats-Msg-Id"] == str(envelope.id)
    assert envelope.source == "identity"
    assert envelope.subject == user["id"]
    assert envelope.aggregate_version == 1
    assert envelope.data.identifier == user["identifiant"]
    assert envelope.data.email == "lea.moreau@caf-somme.example"
    assert envelope.data.caf_code == "080"
    assert "password" not in msg.data.decode().lower()


async def test_same_mail_twice_is_refused_in_french(make_settings):
    async with running(make_settings("identity")) as identity:
        await identity.request(
            "identity", "create_caf_agent", OPERATOR_CREATES_AGENT, credential=await operator_credential(identity)
        )
        again = {**OPERATOR_CREATES_AGENT, "email": "LEA.MOREAU@caf-somme.example"}
        with pytest.raises(RemoteError) as refused:
            await identity.request(
                "identity",
                "create_caf_agent",
                again,
                credential=await operator_credential(identity),
            )
    assert refused.value.error == "conflict"
    assert "déjà utilisée" in refused.value.detail
