"""Hand an event to a running service's own consumer, as the bus would, and get its outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from afas_shared.contracts.envelope import Envelope, EventData
from afas_shared.runtime import ServiceRuntime


def event(
    data: EventData, subject: Any, version: int = 1, time: datetime | None = None, correlation_id: str = "test"
) -> Envelope[Any]:
    """An envelope as its producer would publish it (``time``: when its change committed, now unless told)."""
    envelope = Envelope.wrap(data, subject=str(subject), aggregate_version=version, correlation_id=correlation_id)
    return envelope.model_copy(update={"time": time}) if time is not None else envelope


async def deliver(runtime: ServiceRuntime, envelope: Envelope[Any]) -> str:
    """Run the event through the service's consumer of its contract (aggregate lock, inbox, handler, one
    transaction): ``handled``, ``stale`` (a counted no-op) or ``duplicate``; raises when the handler fails."""
    [consumer] = [c for c in runtime.bus.consumers if c.contract_subject == envelope.type]
    return await consumer.process(envelope)


async def deliver_batch(runtime: ServiceRuntime, envelopes: list[Envelope[Any]]) -> list[str]:
    """Run a batch of events of one contract through its consumer as one fetched batch would (one transaction, the
    handler's set-based form if it has one): each one's outcome; raises when the batch fails."""
    [consumer] = [c for c in runtime.bus.consumers if c.contract_subject == envelopes[0].type]
    return await consumer.process_batch(envelopes)
