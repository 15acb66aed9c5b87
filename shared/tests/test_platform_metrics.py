"""The platform's own metrics move when their event happens: consumer lag, dead letters waiting, request/reply latency
and errors on both sides, HTTP refusals. Real NATS and database (the probe service of ``conftest``)."""

from __future__ import annotations

from dataclasses import dataclass

import httpx
from fastapi import FastAPI, HTTPException
from prometheus_client import REGISTRY

from afas_shared.contracts.events.identity import UserCreatedV1
from afas_shared.http.middleware import RequestContextMiddleware
from afas_shared.messaging.naming import BusNames
from afas_shared.messaging.rpc import RemoteError, RpcFailure, ServiceUnavailable
from afas_shared.messaging.tables import DeadLetter, DeadLetterAction
from afas_shared.telemetry.bus_gauges import sample_consumer_lag, sample_dead_letters
from afas_shared.testing.fixtures import eventually
from shared.tests.conftest import Probe


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@dataclass
class Durable:
    """A durable of the probe's service that nothing pulls from (as ``IdempotentConsumer`` names it)."""

    name: str
    contract_subject: str


async def test_consumer_lag_counts_what_an_unconsumed_durable_has_not_been_given(probe):
    p = await probe(consume=False)
    stream = p.bus.names.stream("identity")
    lagging = Durable(BusNames.durable("lagging", UserCreatedV1.subject()), UserCreatedV1.subject())
    await p.bus.js.add_consumer(
        stream, durable_name=lagging.name, filter_subject=p.bus.names.subject(UserCreatedV1.subject())
    )
    p.bus.consumers.append(lagging)
    missing = Durable(BusNames.durable("never_created", UserCreatedV1.subject()), UserCreatedV1.subject())
    p.bus.consumers.append(missing)  # not on the server: skipped, and said so
    failures = value("afas_bus_sample_failures_total", service="identity", what="consumer_info")
    assert await sample_consumer_lag(p.bus) == 1
    assert value("afas_bus_sample_failures_total", service="identity", what="consumer_info") == failures + 1
    assert value("afas_consumer_pending_messages", service="identity", durable=lagging.name, stream=stream) == 0

    await p.emit(3)
    await eventually(p.stream_messages)  # the relay published them

    async def lag() -> float:
        await sample_consumer_lag(p.bus)
        return value("afas_consumer_pending_messages", service="identity", durable=lagging.name, stream=stream)

    assert await eventually(lambda: _at_least(lag, 3)) == 3
    # delivered but not acked: no longer pending, ack-pending instead
    sub = await p.bus.js.pull_subscribe_bind(lagging.name, stream)
    [message] = await sub.fetch(1, timeout=2)
    await sample_consumer_lag(p.bus)
    assert value("afas_consumer_pending_messages", service="identity", durable=lagging.name, stream=stream) == 2
    assert value("afas_consumer_ack_pending_messages", service="identity", durable=lagging.name, stream=stream) == 1
    await message.ack()


async def _at_least(read, n: int) -> float | None:
    got = await read()
    return got if got >= n else None


async def test_dead_letters_waiting_per_consumer_until_discarded(probe):
    p = await probe()  # its consumer "probe": a durable that gets a 0 when nothing waits
    [consumer] = p.bus.consumers
    assert await sample_dead_letters("probe", p.db, p.bus.consumers) == {}
    assert value("afas_dead_letters_waiting", service="probe", consumer=consumer.name) == 0
    letters = [DeadLetter(consumer=consumer.name, subject="x", payload="{}", error="boom", deliveries=3) for _ in "ab"]
    async with p.db.transaction() as session:
        session.add_all(letters)
    assert await sample_dead_letters("probe", p.db, p.bus.consumers) == {consumer.name: 2}
    assert value("afas_dead_letters_waiting", service="probe", consumer=consumer.name) == 2
    async with p.db.transaction() as session:
        session.add(DeadLetterAction(dead_letter_id=letters[0].id, action="discarded", actor="op", reason="test"))
    await sample_dead_letters("probe", p.db, p.bus.consumers)
    assert value("afas_dead_letters_waiting", service="probe", consumer=consumer.name) == 1


async def test_request_reply_latency_and_errors_per_verb_on_both_sides(probe_settings):
    p = Probe(probe_settings())

    async def answer(payload, headers):
        if payload.get("refuse"):
            raise RpcFailure("forbidden", "Non.")
        if payload.get("crash"):
            raise ValueError("bug")
        return {"ok": True}

    p.bus.rpc("metric_probe", answer)
    await p.start(relay=False)
    try:
        client = {"service": "identity", "target": "identity", "verb": "metric_probe"}
        server = {"service": "identity", "verb": "metric_probe"}
        before = {
            "calls": value("afas_rpc_client_seconds_count", **client),
            "answered": value("afas_rpc_server_seconds_count", **server),
            "forbidden": value("afas_rpc_client_errors_total", **client, error="forbidden"),
            "internal": value("afas_rpc_server_errors_total", **server, error="internal"),
            "unavailable": value(
                "afas_rpc_client_errors_total", service="identity", target="nobody", verb="x", error="unavailable"
            ),
        }
        assert await p.bus.request("identity", "metric_probe", {}) == {"ok": True}
        try:
            await p.bus.request("identity", "metric_probe", {"refuse": True})
        except RemoteError as refused:
            assert refused.error == "forbidden"
        try:
            await p.bus.request("identity", "metric_probe", {"crash": True})
        except RemoteError as crashed:
            assert crashed.error.startswith("ValueError")  # the text of a crash never becomes a label
        try:
            await p.bus.request("nobody", "x", {}, timeout=0.5)
        except ServiceUnavailable:
            pass
        assert value("afas_rpc_client_seconds_count", **client) == before["calls"] + 3
        assert value("afas_rpc_server_seconds_count", **server) == before["answered"] + 3
        assert value("afas_rpc_client_errors_total", **client, error="forbidden") == before["forbidden"] + 1
        assert value("afas_rpc_client_errors_total", **client, error="internal") >= 1
        assert value("afas_rpc_server_errors_total", **server, error="internal") == before["internal"] + 1
        assert value("afas_rpc_server_errors_total", **server, error="forbidden") >= 1
        unavailable = {"service": "identity", "target": "nobody", "verb": "x", "error": "unavailable"}
        assert value("afas_rpc_client_errors_total", **unavailable) == before["unavailable"] + 1
    finally:
        await p.stop()


async def test_http_refusals_by_route_template_and_status():
    app = FastAPI()

    @app.get("/api/v1/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        raise HTTPException(403 if thing_id == "secret" else 401)

    app.add_middleware(RequestContextMiddleware, service="metricprobe")
    labels = {"service": "metricprobe", "route": "/api/v1/things/{thing_id}"}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        assert (await client.get("/api/v1/things/secret")).status_code == 403
        assert (await client.get("/api/v1/things/a")).status_code == 401
        assert (await client.get("/api/v1/things/b")).status_code == 401
    assert value("afas_http_refusals_total", **labels, status="403") == 1
    assert value("afas_http_refusals_total", **labels, status="401") == 2
