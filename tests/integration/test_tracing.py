"""One trace follows a request from the gateway's HTTP call through request/reply and the outbox."""

from __future__ import annotations

import httpx
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from afas_shared.settings import LOCAL_ONLY_SECRET
from afas_shared.testing.fixtures import eventually, running


async def test_one_trace_id_spans_gateway_identity_and_habilitation(make_settings):
    exporter = InMemorySpanExporter()
    spans = SimpleSpanProcessor(exporter)
    async with (
        running(make_settings("identity"), span_processor=spans),
        running(make_settings("habilitation"), span_processor=spans) as habilitation,
        running(make_settings("declaration"), span_processor=spans) as gateway,
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
        await eventually(lambda: habilitation.request("habilitation", "status"), timeout=1)

        async def habilitation_consumed() -> bool:
            return any(
                s.resource.attributes["service.name"] == "afas-habilitation" and s.kind == SpanKind.CONSUMER
                for s in exporter.get_finished_spans()
            )

        await eventually(habilitation_consumed, timeout=10)

    finished = exporter.get_finished_spans()
    [http_span] = [
        s for s in finished if s.kind == SpanKind.SERVER and s.resource.attributes["service.name"] == "afas-declaration"
    ]
    in_trace = [s for s in finished if s.context.trace_id == http_span.context.trace_id]
    by_service = {(s.resource.attributes["service.name"], s.kind) for s in in_trace}
    assert ("afas-declaration", SpanKind.SERVER) in by_service
    assert ("afas-identity", SpanKind.CONSUMER) in by_service  # the create_user request
    assert ("afas-habilitation", SpanKind.CONSUMER) in by_service  # the user_created event, via the outbox
