"""The use-case harness keeps the bus's promises: nobody answering is an unavailable service, a refusal arrives as
the bus's ``RemoteError``, a typed verb's reply is checked against its contract, and only committed events leave the
outbox."""

from __future__ import annotations

import pydantic
import pytest

from afas_shared.contracts.events.identity import PartnerRegisteredV1
from afas_shared.messaging.rpc import RemoteError, ServiceUnavailable


async def _reply(body: dict):
    async def answer(payload: dict) -> dict:
        return body

    return answer


async def test_a_service_nobody_answers_for_is_unavailable_and_a_refusal_is_the_buss(world):
    with pytest.raises(ServiceUnavailable):
        await world.runtime.request("estimation", "estimate", {})
    world.declaration.bus.answer("estimation", "estimate", await _reply({"error": "invalid", "detail": "Non."}))
    with pytest.raises(RemoteError) as refused:
        await world.runtime.request("estimation", "estimate", {})
    assert (refused.value.error, refused.value.detail) == ("invalid", "Non.")


async def test_a_typed_verbs_reply_is_checked_against_its_contract(world):
    status = {"name": "identity", "version": "1", "database": "sqlite", "ready": True, "checks": {"database": True}}
    world.declaration.bus.answer("identity", "status", await _reply(status))
    assert await world.runtime.request("identity", "status") == status
    world.declaration.bus.answer("identity", "status", await _reply({"name": "identity"}))
    with pytest.raises(pydantic.ValidationError):
        await world.runtime.request("identity", "status")


async def test_only_committed_events_are_published(world):
    data = PartnerRegisteredV1(
        partner_id=world.partner_id,
        name="Commune d'Amiens",
        siret="21800021900004",
        kind="commune",
        caf_code="080",
        delegated=True,
    )
    with pytest.raises(RuntimeError):
        async with world.runtime.unit_of_work() as uow:
            uow.publish(data, subject=str(world.partner_id), aggregate_version=1)
            raise RuntimeError("the use case fails after publishing")
    assert await world.published() == []
    async with world.runtime.unit_of_work() as uow:
        uow.publish(data, subject=str(world.partner_id), aggregate_version=2)
    [published] = await world.published()
    assert (published.type, published.aggregate_version, published.data) == (PartnerRegisteredV1.subject(), 2, data)
    assert await world.published() == [published]  # each event once, however often the outbox is read
