"""One trace follows a request from the gateway's HTTP call through request/reply, the database and the outbox to
a consumer — and it reaches a collector named by the standard OTEL_* variables alone, with the OTel metrics.

The collector is a local receiver decoding the OTLP/HTTP protobuf it is sent (afas_shared.testing.otlp_receiver):
nothing on the receiving side comes from the SDK, so spans or metrics exported nowhere fail the test.
"""

from __future__ import annotations

import os

import httpx
import pytest

from afas_shared.settings import LOCAL_ONLY_SECRET
from afas_shared.testing.fixtures import eventually, running
from afas_shared.testing.otlp_receiver import OtlpReceiver, ReceivedSpan

SERVER, CLIENT, CONSUMER = 2, 3, 5  # opentelemetry.proto.trace.v1.Span.SpanKind


@pytest.fixture
def collector(monkeypatch):
    receiver = OtlpReceiver().start()
    for name in [n for n in os.environ if n.startswith("OTEL_")] + ["AFAS_TELEMETRY_EXPORTER", "AFAS_OTLP_ENDPOINT"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.endpoint)
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "parentbased_always_on")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=ci,service.namespace=afas-test")
    monkeypatch.setenv("OTEL_BSP_SCHEDULE_DELAY", "100")  # spans leave every 100 ms: the test waits for one
    yield receiver
    receiver.stop()


def _ancestors(span: ReceivedSpan, by_id: dict[str, ReceivedSpan]) -> list[ReceivedSpan]:
    chain = []
    while span.parent_span_id in by_id:
        span = by_id[span.parent_span_id]
        chain.append(span)
    return chain


async def test_one_trace_from_the_gateway_to_a_consumer_reaches_the_collector(make_settings, collector):
    async with (
        running(make_settings("identity")),
        running(make_settings("habilitation")),
        running(make_settings("declaration")) as gateway,
    ):
        transport = httpx.ASGITransport(app=gateway.create_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            response = await client.post(
                "/api/v1/cafs/080/agents",
                json={
                    "nom": "Lefebvre",
                    "prenom": "Julie",
                    "email": "julie.lefebvre@caf-somme.example",
                    "email_confirmation": "julie.lefebvre@caf-somme.example",
                    "roles_caf": ["lecture"],
                },
                headers={"Authorization": f"Bearer {LOCAL_ONLY_SECRET}", "X-Correlation-Id": "corr-trace-test"},
            )
        assert response.status_code == 201, response.text
        assert response.headers["X-Correlation-Id"] == "corr-trace-test"

        def http_trace() -> set[str]:
            return {s.trace_id for s in collector.spans if s.kind == SERVER and s.service == "afas-declaration"}

        async def habilitation_consumed() -> bool:  # the user_created event, relayed from identity's outbox
            return any(
                s.service == "afas-habilitation" and s.kind == CONSUMER and s.trace_id in http_trace()
                for s in list(collector.spans)
            )

        await eventually(habilitation_consumed, timeout=10)
        # The Prometheus /metrics the dashboards scrape is still there beside the OTLP push.
        internal = httpx.ASGITransport(app=gateway.create_internal_app())
        async with httpx.AsyncClient(transport=internal, base_url="http://gateway-internal") as scraper:
            scraped = (await scraper.get("/metrics")).text
        assert 'afas_http_requests_total{method="POST",route="/api/v1/cafs/{caf}/agents"' in scraped
        assert (
            'afas_rpc_client_seconds_count{service="declaration",target="identity",verb="create_caf_agent"}' in scraped
        )
    # Stopping flushed every service's spans and metrics (as a pod's shutdown does).

    [http] = [s for s in collector.spans if s.kind == SERVER and s.name == "POST /api/v1/cafs/{caf}/agents"]
    assert http.service == "afas-declaration"
    assert http.resource["deployment.environment.name"] == "ci"  # OTEL_RESOURCE_ATTRIBUTES
    assert http.resource["service.namespace"] == "afas-test"  # the variable wins over the default
    in_trace = [s for s in collector.spans if s.trace_id == http.trace_id]
    by_id = {s.span_id: s for s in in_trace}
    [responder] = [
        s for s in in_trace if s.service == "afas-identity" and s.kind == CONSUMER and "create_caf" in s.name
    ]
    assert http in _ancestors(responder, by_id)  # HTTP → the RPC request → identity's responder
    statements = [s for s in in_trace if s.service == "afas-identity" and s.kind == CLIENT and "db.system" in repr(s)]
    assert statements and all(responder in _ancestors(s, by_id) for s in statements)  # its SQL, under it
    [consumer] = [
        s for s in in_trace if s.service == "afas-habilitation" and s.name.endswith("user_created_v1 process")
    ]
    assert responder in _ancestors(consumer, by_id)  # the event the responder wrote, applied in habilitation

    metrics = set(collector.metrics)
    assert ("afas-declaration", "http.server.request.duration") in metrics
    assert ("afas-declaration", "rpc.client.call.duration") in metrics
    assert ("afas-identity", "rpc.server.call.duration") in metrics
    assert ("afas-identity", "db.client.connections.usage") in metrics
