"""Every service verifies who calls it: a payload claiming to be the operator (or anyone) is not believed.

A plain NATS client plays the attacker inside the cluster: it sends each service a request claiming
``{"actor": {"kind": "operator"}}``, then with a forged credential (garbage, a token signed by a key
identity never published), and finally — the control that proves the test can fail — with the real
operator credential that identity signs for the gateway, which each service accepts.

The first test runs the five services on a nats-server configured as in production (fixture
``secured_platform``): the attacker holds the gateway's real NATS credential, the one allowed to call every
verb of identity, habilitation, estimation and notification, so what refuses it is each service's own check,
not the broker's permissions. No service's credential may call declaration's guarded verbs (the broker refuses
the gateway's: checked too), so against declaration the attacker holds the operators' ``admin`` credential,
which the broker lets through. The others run on the shared test broker.
"""

from __future__ import annotations

import json
import uuid
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import httpx
import nats
import pytest
from sqlalchemy import select

from afas_identity.adapters.tables import UserAccount
from afas_shared.auth.credential import CREDENTIAL_HEADER, REFUSALS
from afas_shared.auth.keys import generate_signing_key
from afas_shared.auth.tokens import SessionClaims, issue_token
from afas_shared.contracts.bus_permissions import ADMIN, GATEWAY
from afas_shared.settings import LOCAL_ONLY_SECRET
from afas_shared.testing.fixtures import running

SERVICES = ("identity", "habilitation", "estimation", "notification", "declaration")

# One request per service that only a verified caller may make (the operator may make each of them).
GUARDED = {
    "identity": ("list_partners", {}),
    "habilitation": ("search_activities", {}),
    "estimation": ("parameters", {"famille": "eaje_psu"}),
    "notification": ("undeliverable", {}),
    "declaration": ("list_users", {}),
}
AGENT = {
    "nom": "Pirate",
    "prenom": "Paul",
    "email": "paul.pirate@example.org",
    "email_confirmation": "paul.pirate@example.org",
    "caf_roles": ["habilitations", "instruction", "parametrage", "lecture"],
}


@pytest.fixture
async def services(make_settings):
    async with AsyncExitStack() as stack:
        runtimes = {name: await stack.enter_async_context(running(make_settings(name))) for name in SERVICES}
        yield runtimes


@pytest.fixture
async def attacker(backends):
    nc = await nats.connect(backends.nats_url)
    yield nc
    await nc.close()


async def ask(nc, runtime, service: str, verb: str, payload: dict, headers: dict | None = None) -> dict:
    reply = await nc.request(
        runtime.bus.names.rpc(service, verb), json.dumps(payload).encode(), timeout=10, headers=headers
    )
    return json.loads(reply.data)


def refusals(service: str, verb: str) -> float:
    return sum(
        sample.value
        for metric in REFUSALS.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
        and sample.labels.get("service") == service
        and sample.labels.get("verb") == verb
    )


def forged_operator_token(now: datetime) -> str:
    """Well-formed and signed, but by a key identity never published."""
    claims = SessionClaims(
        sub=uuid.uuid4(),
        sid=uuid.uuid4(),
        kind="operator",
        partner_id=None,
        caf_code=None,
        groups=[],
        caf_roles=[],
        iat=int(now.timestamp()),
        exp=int((now + timedelta(minutes=10)).timestamp()),
    )
    return issue_token(claims, generate_signing_key(now))


async def test_a_claimed_operator_is_refused_by_every_service_and_audited(secured_platform):
    async with (
        secured_platform() as platform,
        platform.nats.client(GATEWAY) as intruder,
        platform.nats.client(ADMIN) as admin,
    ):
        services, log_start = platform.runtimes, len(platform.nats.log())
        attackers = {service: intruder.nc for service in GUARDED} | {"declaration": admin.nc}
        now = datetime.now(UTC)
        for service, (verb, payload) in GUARDED.items():
            runtime, attacker = services[service], attackers[service]
            before = refusals(service, verb)
            claimed = await ask(attacker, runtime, service, verb, {**payload, "actor": {"kind": "operator"}})
            assert claimed.get("error") in ("unauthorized", "forbidden"), (service, claimed)
            garbage = await ask(attacker, runtime, service, verb, payload, {CREDENTIAL_HEADER: "not-a-token"})
            assert garbage.get("error") == "unauthorized", (service, garbage)
            forged_token = {CREDENTIAL_HEADER: forged_operator_token(now)}
            forged = await ask(attacker, runtime, service, verb, payload, forged_token)
            assert forged.get("error") == "unauthorized", (service, forged)
            # Each refusal is counted (and logged) by the service that refused it, not only by identity.
            assert refusals(service, verb) >= before + 3, service

        # The control: the operator's real credential, signed by identity, is accepted by every service.
        exchanged = await ask(
            intruder.nc, platform.identity, "identity", "operator_session", {"token": LOCAL_ONLY_SECRET}
        )
        operator = {CREDENTIAL_HEADER: exchanged["result"]["jeton"]}
        for service, (verb, payload) in GUARDED.items():
            accepted = await ask(attackers[service], services[service], service, verb, payload, operator)
            assert "error" not in accepted, (service, accepted)
        # Every request crossed the broker within the credentials' permissions: the services refused them...
        assert await intruder.violations(0) == [] and platform.nats.violations_logged(log_start) == []
        # ... and the gateway's credential cannot even reach declaration's verbs.
        await intruder.nc.publish(services["declaration"].bus.names.rpc("declaration", "list_users"), b"{}")
        assert len(await intruder.violations()) == 1


async def test_a_forged_caf_agent_creation_changes_nothing(services, attacker):
    """The attack of the assessment: a Caf agent with every role created by a message claiming the operator."""
    identity = services["identity"]
    forged = await ask(
        attacker,
        identity,
        "identity",
        "create_caf_agent",
        {"actor": {"kind": "operator"}, "caf_code": "080", "user": AGENT},
    )
    assert forged.get("error") == "unauthorized", forged
    async with identity.db.sessions() as session:
        emails = (await session.execute(select(UserAccount.email))).scalars().all()
    assert AGENT["email"] not in emails


async def test_the_operator_secret_is_exchanged_only_for_itself(services, attacker):
    identity = services["identity"]
    wrong = await ask(attacker, identity, "identity", "operator_session", {"token": "x" * 32})
    assert wrong.get("error") == "unauthorized"
    empty = await ask(attacker, identity, "identity", "operator_session", {})
    assert empty.get("error") == "unauthorized"


async def test_own_session_verbs_use_the_credential_not_the_payload(services, attacker):
    """``refresh``/``logout``/``whoami`` of someone else's session id: the payload's ids are ignored."""
    identity = services["identity"]
    victim_session = str(uuid.uuid4())
    for verb in ("refresh", "logout", "whoami"):
        answer = await ask(
            attacker, identity, "identity", verb, {"session_id": victim_session, "user_id": victim_session}
        )
        assert answer.get("error") == "unauthorized", (verb, answer)


async def test_a_revoked_session_is_refused_by_identity_itself(services, attacker):
    """Identity checks its own table of sessions: a logged-out token no longer acts on identity either."""
    identity, gateway = services["identity"], services["declaration"]
    transport = httpx.ASGITransport(app=gateway.create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        demo = await client.post("/api/v1/admin/demo", headers={"Authorization": f"Bearer {LOCAL_ONLY_SECRET}"})
        assert demo.status_code == 200, demo.text
        login = await client.post(
            "/api/v1/auth/login", json={"identifiant": "100000001", "mot_de_passe": "Demo-Afas-2026!"}
        )
        assert login.status_code == 200, login.text
        token = login.json()["jeton"]
        mine = {CREDENTIAL_HEADER: token}
        assert "error" not in await ask(attacker, identity, "identity", "list_partners", {}, mine)
        out = await client.post("/api/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})
        assert out.status_code == 204
    after = await ask(attacker, identity, "identity", "list_partners", {}, mine)
    assert after.get("error") == "unauthorized", after
