"""The bus permission table (contracts/bus_permissions.py) stays honest: it covers what the services
register and call, and it grants nothing beyond the rules (own events, own RPC subjects, gateway-only verbs)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

from afas_shared.contracts.bus_permissions import (
    ALL_VERBS,
    ANY_PREFIX,
    CAF_CONSUMER,
    CALLS,
    CONSUMES,
    GATEWAY,
    GATEWAY_ONLY_IDENTITY_VERBS,
    SERVICES,
    all_permissions,
    caf_consumer_permissions,
    durable_name,
    inbox_prefix,
    may_call,
    rpc_queue,
    service_permissions,
)
from afas_shared.contracts.registry import CONTRACTS
from afas_shared.settings import CommonSettings

ROOT = Path(__file__).resolve().parents[2]


def matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: `*` one token, `>` one or more trailing tokens."""
    p, s = pattern.split("."), subject.split(".")
    for i, token in enumerate(p):
        if token == ">":
            return len(s) > i
        if i >= len(s) or (token != "*" and token != s[i]):
            return False
    return len(p) == len(s)


def may_publish(user_permissions, subject: str) -> bool:
    allowed = any(matches(p, subject) for p in user_permissions.publish)
    return allowed and not any(matches(p, subject) for p in user_permissions.publish_deny)


def may_subscribe(user_permissions, subject: str, queue: str | None = None) -> bool:
    for entry in user_permissions.subscribe:
        pattern, _, allowed_queue = entry.partition(" ")
        if matches(pattern, subject) and (not allowed_queue or allowed_queue == queue):
            return True
    return False


@pytest.fixture(scope="module")
def runtimes(tmp_path_factory):
    """Each service's runtime from its real bootstrap, built and never started (no broker, no database)."""
    tmp = tmp_path_factory.mktemp("bus-permissions")
    built = {}
    for service in SERVICES:
        config = importlib.import_module(f"afas_{service}.config")
        settings = config.Settings(common=CommonSettings(var_dir=tmp), database_url=f"sqlite:///{tmp / service}.db")
        built[service] = importlib.import_module(f"afas_{service}.bootstrap").build(settings, configure_logs=False)
    return built


def _subscribers(runtime):
    for sub in runtime.bus.broker.subscribers:
        subject = getattr(sub, "_resolved_subject_string", None) or str(sub.subject)
        stream = getattr(sub, "stream", None)
        yield subject, getattr(sub, "queue", None) or None, stream.name if stream else None


@pytest.mark.parametrize("service", SERVICES)
def test_the_table_lists_exactly_the_consumers_each_service_registers(runtimes, service):
    registered = {(c.name, c.contract_subject) for c in runtimes[service].bus.consumers}
    table = {(durable_name(service, c), c.subject()) for c in CONSUMES[service]}
    assert registered == table


@pytest.mark.parametrize("service", SERVICES)
def test_every_registered_subscriber_is_allowed_by_the_table(runtimes, service):
    permissions = service_permissions(service)
    consumed = {c.subject(): c for c in CONSUMES[service]}
    subscribers = list(_subscribers(runtimes[service]))
    assert subscribers
    for subject, queue, stream in subscribers:
        if stream:  # a durable pull consumer: created, read and acked through the JetStream API
            contract = consumed[subject]
            durable = durable_name(service, contract)
            assert stream == f"AFAS_{contract.producer.upper()}"
            for needed in (
                f"$JS.API.STREAM.INFO.{stream}",
                f"$JS.API.CONSUMER.CREATE.{stream}.{durable}.{subject}",
                f"$JS.API.CONSUMER.INFO.{stream}.{durable}",
                f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}",
                f"$JS.ACK.{stream}.{durable}.1.2.3.4.5",
            ):
                assert may_publish(permissions, needed), needed
        else:  # an RPC responder, in its service's queue group
            assert queue == rpc_queue(service), subject
            assert may_subscribe(permissions, subject, queue), subject
            assert not may_subscribe(permissions, subject, None), "only in the queue group"
    assert may_subscribe(permissions, f"{inbox_prefix(service)}.abc.def")
    assert permissions.allow_responses


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_publishes_its_own_events_and_no_one_elses(service):
    permissions = service_permissions(service)
    for contract in CONTRACTS:
        assert may_publish(permissions, contract.subject()) is (contract.producer == service), contract.subject()
    assert may_publish(permissions, f"$JS.API.STREAM.CREATE.AFAS_{service.upper()}")
    for other in SERVICES:
        if other != service:
            assert not may_publish(permissions, f"$JS.API.STREAM.CREATE.AFAS_{other.upper()}")
            assert not may_publish(permissions, f"$JS.API.STREAM.DELETE.AFAS_{other.upper()}")
            assert not may_subscribe(permissions, f"{other}.rpc.status.v1", rpc_queue(other))
            assert not may_subscribe(permissions, f"{inbox_prefix(other)}.x")
    assert not may_subscribe(permissions, "_INBOX.x")


@pytest.mark.parametrize("service", SERVICES)
def test_only_the_gateway_calls_the_verbs_carrying_passwords_and_tokens(service):
    permissions = service_permissions(service)
    for verb in GATEWAY_ONLY_IDENTITY_VERBS:
        assert may_publish(permissions, f"identity.rpc.{verb}.v1") is (service == GATEWAY), verb


@pytest.mark.parametrize("service", SERVICES)
def test_mail_link_is_notifications_alone(service):
    # its reply is a one-time activation or reset link: not even the gateway, which may call every other verb
    assert may_publish(service_permissions(service), "identity.rpc.mail_link.v1") is (service == "notification")
    assert may_call(service, "identity", "mail_link") is (service == "notification")


def test_the_caf_consumer_reads_events_and_nothing_else():
    caf = caf_consumer_permissions()
    for contract in CONTRACTS:
        assert not may_publish(caf, contract.subject())
    for service in SERVICES:
        assert not may_publish(caf, f"{service}.rpc.status.v1")
        for contract in CONSUMES[service]:
            stream, durable = f"AFAS_{contract.producer.upper()}", durable_name(service, contract)
            assert not may_publish(caf, f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}")
            assert not may_publish(caf, f"$JS.ACK.{stream}.{durable}.1.1.1.1.1")
    assert may_publish(caf, "$JS.API.CONSUMER.CREATE.AFAS_DECLARATION.caf_sig.declaration.declaration_validated.v1")
    assert may_publish(caf, "$JS.API.CONSUMER.MSG.NEXT.AFAS_DECLARATION.caf_sig")
    assert not may_publish(caf, "$JS.API.CONSUMER.CREATE.AFAS_IDENTITY.caf_sig.identity.user_created.v1")
    assert not may_subscribe(caf, "_INBOX.x") and may_subscribe(caf, f"{inbox_prefix(CAF_CONSUMER)}.x")


def test_with_a_wildcard_prefix_every_subject_takes_one_more_token():
    identity = service_permissions("identity", ANY_PREFIX)
    assert may_publish(identity, "t1234_7.identity.user_created.v1")
    assert not may_publish(identity, "identity.user_created.v1")
    assert may_publish(identity, "$JS.API.STREAM.CREATE.T1234_7_IDENTITY")
    assert may_subscribe(identity, "t1234_7.identity.rpc.login.v1", "identity-rpc")
    concrete = service_permissions("habilitation", "run_3")
    assert may_publish(concrete, "$JS.API.STREAM.CREATE.RUN_3_HABILITATION")
    assert not may_publish(concrete, "$JS.API.STREAM.CREATE.AFAS_HABILITATION")
    assert set(all_permissions(ANY_PREFIX)) == {*SERVICES, CAF_CONSUMER, "admin"}


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_verifying_sessions_may_fetch_identitys_keys(runtimes, service):
    if runtimes[service].accepts_sessions:
        assert may_call(service, "identity", "jwks")


# `runtime.request("svc", "verb"` / `call_service(runtime, "svc", verb` / `call_identity(runtime, "verb"`
_CALL = re.compile(
    r"""(?:\.request|call_service)\(\s*(?:runtime,\s*)?"(?P<callee>\w+)",\s*(?:"(?P<verb>\w+)"|(?P<dynamic>\w+))"""
)
_CALL_IDENTITY = re.compile(r"""call_identity\(\s*runtime,\s*(?:"(?P<verb>\w+)"|(?P<dynamic>\w+))""")
# the gateway's typed calls (afas_declaration.gateway.clients.typed_calls): call_typed / ask(runtime, callee, verb…)
_TYPED_CALL = re.compile(
    r"""(?:call_typed|ask)\(\s*runtime,\s*"(?P<callee>\w+)",\s*(?:"(?P<verb>\w+)"|(?P<dynamic>\w+))"""
)


def _calls_in_code(service: str):
    for path in (ROOT / "services" / service / "src").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for m in (*_CALL.finditer(text), *_TYPED_CALL.finditer(text)):
            yield path, m["callee"], m["verb"] or ALL_VERBS
        for m in _CALL_IDENTITY.finditer(text):
            yield path, "identity", m["verb"] or ALL_VERBS


@pytest.mark.parametrize("service", SERVICES)
def test_every_call_in_the_code_is_allowed_by_the_table(service):
    calls = list(_calls_in_code(service))
    if service == GATEWAY:
        assert len(calls) > 10  # the pattern still finds the gateway's calls
    for path, callee, verb in calls:
        if verb == ALL_VERBS:  # a verb chosen at run time: every verb of that callee must be allowed
            assert (callee, ALL_VERBS) in CALLS[service], f"{path.relative_to(ROOT)}: {callee}.<any verb>"
        else:
            assert may_call(service, callee, verb), f"{path.relative_to(ROOT)}: {callee}.{verb}"
