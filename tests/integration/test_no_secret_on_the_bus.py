"""No secret at rest on the bus: activation and reset mails work end to end (identity → event with a reference →
notification asks identity for the URL when it sends the mail), and afterwards no stream holds a one-time link, a
token, a password or a password hash; notification's database does not hold the link either.

The five services run on a nats-server configured as in production (fixture ``secured_platform``: each service
with its own credential and permissions, production's stream names), and every stream of that server is read
with the operators' ``admin`` credential."""

from __future__ import annotations

import json

import nats
import sqlalchemy as sa

from afas_shared.contracts.bus_permissions import ADMIN
from afas_shared.testing.fixtures import eventually
from afas_shared.testing.secured_nats import SecuredNats
from tests.integration.conftest import DEMO_PASSWORD
from tests.integration.mailed_demo import mailed_demo

PARTNER_ADMIN, SOPHIE = "200000001", "200000003"
CHOSEN, RESET = "Crèche-Soleil-2026", "Reinit-Compte-2026!"


async def _every_stream_message(secured: SecuredNats) -> tuple[list[str], list[bytes]]:
    """The server's streams and every message they hold, headers and data, read as the operators' admin."""
    async with secured.client(ADMIN) as admin:
        js = admin.nc.jetstream()
        found, streams = [], []
        for info in await js.streams_info():
            streams.append(info.config.name)
            if not info.state.messages:
                continue
            for seq in range(max(1, info.state.first_seq), info.state.last_seq + 1):
                try:
                    message = await js.get_msg(info.config.name, seq)
                except nats.js.errors.NotFoundError:
                    continue
                found.append((message.data or b"") + json.dumps(message.headers or {}).encode())
        return streams, found


async def test_mails_carry_the_links_but_no_stream_holds_a_link_token_password_or_hash(secured_platform):
    async with mailed_demo(secured_platform) as (secured, platform, mailbox):
        notification = secured.runtimes["notification"]
        admin = await platform.login(PARTNER_ADMIN)
        user = await platform.new_amiens_user(admin)
        # the activation mail, as notification sent it, carries a working link
        link = await eventually(lambda: mailbox.link_to("ines.garnier@amiens.example", "/activation"), timeout=20)
        activation_token = link.split("jeton=")[1]
        # and the identifiant the login form asks for, so the new user logs in alone (not a secret)
        with mailbox.lock:
            [sent] = [m for m in mailbox.received if m["To"] == "ines.garnier@amiens.example"]
        assert f"Votre identifiant de connexion est {user['identifiant']}" in sent.get_body(("plain",)).get_content()
        activated = await platform.client.post(
            "/api/v1/auth/activation",
            json={"jeton": activation_token, "mot_de_passe": CHOSEN, "confirmation": CHOSEN},
        )
        assert activated.status_code == 200, activated.text
        await platform.login(user["identifiant"], CHOSEN)

        # a reset: the mailed link works, once
        asked = await platform.client.post("/api/v1/auth/password-reset", json={"identifiant": SOPHIE})
        assert asked.status_code == 202
        link = await eventually(
            lambda: mailbox.link_to("sophie.petit@amiens.example", "/mot-de-passe/nouveau"), timeout=20
        )
        reset_token = link.split("jeton=")[1]
        reset = await platform.client.post(
            "/api/v1/auth/password-reset/confirm",
            json={"jeton": reset_token, "mot_de_passe": RESET, "confirmation": RESET},
        )
        assert reset.status_code == 200, reset.text
        session_token = (await platform.login(SOPHIE, RESET))["Authorization"][7:]
        await platform.login(PARTNER_ADMIN, DEMO_PASSWORD)

        async with notification.db.sessions() as session:
            stored = " ".join(
                str(value) for row in (await session.execute(sa.text("SELECT * FROM message"))).all() for value in row
            )

    assert stored and activation_token not in stored and reset_token not in stored and "jeton=" not in stored
    # the administrator's token made the request that published identity.user_created: it must not travel with it
    secrets = [activation_token, reset_token, session_token, admin["Authorization"][7:], CHOSEN, RESET]
    secrets += [DEMO_PASSWORD, "$argon2", "jeton="]
    streams, messages = await _every_stream_message(secured.nats)
    # production's streams, all of them read: identity's, and the others' the platform's work filled
    assert {"AFAS_IDENTITY", "AFAS_HABILITATION", "AFAS_DECLARATION", "AFAS_ESTIMATION"} <= set(streams), streams
    assert any(b"activation_requested.v2" in m for m in messages)  # the scan did read identity's stream
    assert any(b"password_reset_requested.v2" in m for m in messages)
    leaks = [(secret, m[:200]) for m in messages for secret in secrets if secret.encode() in m]
    leaks += [(secret, m[:200]) for m in messages for secret in (CHOSEN, RESET) if json.dumps(secret).encode() in m]
    assert leaks == []
