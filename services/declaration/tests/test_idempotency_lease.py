"""An Idempotency-Key whose request never finished (the gateway died) is held for a lease only (issue 15, point 3)."""

from __future__ import annotations

import asyncio
import json
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from afas_declaration.adapters.tables import Campaign, IdempotencyRecord
from afas_declaration.application import request_outcome
from afas_declaration.gateway.hardening import idempotency_store as idempotency
from afas_shared.clock import ManualClock
from afas_shared.testing.credentials import TestIssuer
from afas_shared.testing.fixtures import running

AGENT = {"kind": "caf", "caf_code": "080", "caf_roles": ["parametrage"]}
BODY = {
    "type_activite": "laep",
    "exercice": 2027,
    "type_declaration": "reelle",
    "date_ouverture": "2028-01-15",
    "date_limite": "2028-03-31",
}
PATH = "/api/v1/campaigns"


async def test_a_key_left_by_a_dead_request_is_refused_within_the_lease_then_accepted(make_settings):
    clock = ManualClock(datetime(2027, 3, 2, 8, 0, tzinfo=UTC))
    async with AsyncExitStack() as stack:
        gateway = await stack.enter_async_context(running(make_settings("declaration", idempotency_lease_seconds=30)))
        gateway.clock = clock
        issuer = TestIssuer(clock.now()).trusted_by(gateway)
        await gateway.wait_for_keys(10)
        client = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=gateway.create_app()), base_url="http://gateway")
        )
        token = issuer.token(AGENT, clock.now(), minutes=60)
        owner = str((await gateway.tokens.verify(token)).sub)
        content = json.dumps(BODY).encode()
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json", "Idempotency-Key": "k-1"}

        # What a gateway killed mid-request leaves: the reservation, no answer.
        async with gateway.db.transaction() as session:
            session.add(
                IdempotencyRecord(
                    owner=owner,
                    key="k-1",
                    fingerprint=idempotency.fingerprint(PATH, content.decode()),
                    created_at=clock.now(),
                )
            )

        clock.advance(timedelta(seconds=29))
        waiting = await client.post(PATH, headers=headers, content=content)
        assert waiting.status_code == 409, waiting.text
        assert "en cours : patientez" in waiting.json()["detail"]
        other = await client.post(PATH, headers=headers, content=json.dumps({**BODY, "exercice": 2028}).encode())
        assert other.status_code == 409 and "autre demande" in other.json()["detail"]  # another body: never

        clock.advance(timedelta(seconds=2))  # the lease is over: the retry runs
        accepted = await client.post(PATH, headers=headers, content=content)
        assert accepted.status_code == 202, accepted.text
        replayed = await client.post(PATH, headers=headers, content=content)  # finished: the first answer again
        clock.advance(timedelta(minutes=10))
        later = await client.post(PATH, headers=headers, content=content)

        async with gateway.db.sessions() as session:
            record = await session.get(IdempotencyRecord, (owner, "k-1"))
            campaigns = (await session.execute(Campaign.__table__.select())).all()
    assert replayed.status_code == later.status_code == 202
    assert replayed.json() == later.json() == accepted.json()
    assert record.status == 202 and len(campaigns) == 1


async def test_openapi_documents_the_header_and_its_lease(make_settings):
    async with running(make_settings("declaration", idempotency_lease_seconds=45)) as gateway:
        schema = gateway.create_app().openapi()
    transmit = schema["paths"]["/api/v1/declarations/{declaration_id}/transmit"]["post"]
    header = next(p for p in transmit["parameters"] if p["name"] == "Idempotency-Key")
    assert header["in"] == "header" and header["required"] is False
    assert "45 s" in header["description"] and "409" in header["description"]
    guarded = [
        path
        for path, ops in schema["paths"].items()
        if "post" in ops and any(p["name"] == "Idempotency-Key" for p in ops["post"].get("parameters", []))
    ]
    assert "/api/v1/campaigns" in guarded and "/api/v1/auth/login" not in guarded


async def test_an_answer_kept_with_its_effect_is_replayed_when_the_process_died_before_answering(make_settings):
    """The use case kept its answer in its own transaction (``request_outcome.settle``), then the process died before
    ``once`` recorded it: the retry gets that answer, and the effect is not attempted again."""
    async with running(make_settings("declaration")) as gateway:
        attempts: list[str] = []

        async def transmit_then_die() -> tuple[int, dict]:
            attempts.append("transmit")
            async with gateway.db.transaction() as session:  # the effect and its answer, committed together
                await request_outcome.settle(session, 201, {"version": 1})
            raise asyncio.CancelledError  # killed right after the commit

        fingerprint = idempotency.fingerprint("/api/v1/declarations/d/transmit", "{}")
        with pytest.raises(asyncio.CancelledError):
            await idempotency.once(gateway, "alice", "k-2", fingerprint, transmit_then_die, kept_as=lambda s, a: a)

        async def must_not_run() -> tuple[int, dict]:
            attempts.append("again")
            return 500, {}

        assert await idempotency.once(gateway, "alice", "k-2", fingerprint, must_not_run) == (201, {"version": 1})
        assert attempts == ["transmit"]
