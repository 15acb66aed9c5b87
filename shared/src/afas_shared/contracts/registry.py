"""Subject → contract model. The only place that lists every event the platform publishes."""

from __future__ import annotations

from afas_shared.contracts.envelope import Envelope, EventData
from afas_shared.contracts.events.identity import UserCreatedV1

CONTRACTS: tuple[type[EventData], ...] = (UserCreatedV1,)

REGISTRY: dict[str, type[EventData]] = {c.subject(): c for c in CONTRACTS}


class UnknownEvent(LookupError):
    pass


def model_for(subject: str) -> type[EventData]:
    try:
        return REGISTRY[subject]
    except KeyError:
        raise UnknownEvent(f"no contract registered for subject {subject!r}") from None


def envelope_model(subject: str) -> type[Envelope]:
    return Envelope[model_for(subject)]  # type: ignore[valid-type]


def produced_by(producer: str) -> list[type[EventData]]:
    return [c for c in CONTRACTS if c.producer == producer]


def parse(subject: str, raw: bytes | str) -> Envelope:
    return envelope_model(subject).model_validate_json(raw)
