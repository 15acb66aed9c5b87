"""Fixtures the estimation tests share."""

from __future__ import annotations

import json

import nats
import pytest

from afas_shared.messaging.naming import BusNames
from services.estimation.tests.payment_validations import WHOLE_ACTIVITY


@pytest.fixture
async def grants(backends, bus_prefix):
    """Stands in for the declaration service's answer to ``may`` (its grant lines are another service's data)."""
    nc = await nats.connect(backends.nats_url)
    asked = []

    async def answer(msg) -> None:
        request = json.loads(msg.data)
        asked.append(request)
        allowed = request["action"] == "consulter_montants" and (
            (request["user_id"], request["activity_id"]) in WHOLE_ACTIVITY
        )
        await msg.respond(json.dumps({"result": {"allowed": allowed}}).encode())

    await nc.subscribe(BusNames(bus_prefix).rpc("declaration", "may"), cb=answer)
    yield asked
    await nc.close()
