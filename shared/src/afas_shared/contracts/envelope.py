"""The envelope every event travels in; ``id`` doubles as the JetStream ``Nats-Msg-Id``.

Tolerant readers, strict writers: within a major version a producer may add optional fields, so a
consumer ignores fields it does not know (``parse`` reads with :data:`READING` in the validation
context, and the published JSON Schemas allow additional properties). A producer building an event in
code is still refused an unknown field: a misspelt keyword fails at the call, in the producer's tests,
instead of being silently dropped and never reaching anyone.
"""

from __future__ import annotations

import functools
import uuid
from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, model_validator

D = TypeVar("D", bound="EventData")


# Validation context of a consumer reading an event: unknown fields are ignored.
READING = "afas_reading"


class ContractModel(BaseModel):
    """Base of every model inside a contract: frozen; unknown fields refused when built, ignored when read."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    @model_validator(mode="before")
    @classmethod
    def _no_unknown_field_when_built(cls, values: Any, info: ValidationInfo) -> Any:
        if isinstance(values, dict) and not (info.context or {}).get(READING):
            known = _known_fields(cls)
            if unknown := sorted(str(k) for k in values if k not in known):
                raise ValueError(f"unknown field(s) {', '.join(unknown)} in {cls.__name__}")
        return values


@functools.cache
def _known_fields(model: type[BaseModel]) -> frozenset[str]:
    """A contract's field names and aliases, once per model: computed per build, they were most of its cost (a
    campaign's opening builds three models per activity)."""
    return frozenset(key for name, f in model.model_fields.items() for key in (name, f.alias) if key)


class EventData(ContractModel):
    """Base of every event payload: frozen, documented; tolerant when read, strict when built."""

    # Set by each contract: the producing service, the event name (past tense) and the major version.
    producer: ClassVar[str]
    event: ClassVar[str]
    version: ClassVar[int] = 1

    @classmethod
    def subject(cls) -> str:
        return f"{cls.producer}.{cls.event}.v{cls.version}"


class Envelope(BaseModel, Generic[D]):
    model_config = ConfigDict(frozen=True)

    id: uuid.UUID = Field(description="Unique event id; also the Nats-Msg-Id used for de-duplication.")
    type: str = Field(description="Contract subject, `<producer>.<event>.v<major>`.")
    source: str = Field(description="Producing service.")
    time: datetime = Field(description="When the state change committed (UTC).")
    subject: str = Field(description="Id of the aggregate the event is about.")
    aggregate_version: int = Field(ge=1, description="Version of the aggregate after the change.")
    correlation_id: str = Field(description="Id shared by every message of one user-level operation.")
    causation_id: str | None = Field(default=None, description="Id of the message that caused this one.")
    data: D

    @classmethod
    def wrap(
        cls,
        data: EventData,
        *,
        subject: str,
        aggregate_version: int,
        correlation_id: str,
        causation_id: str | None = None,
    ) -> Envelope[Any]:
        return Envelope[type(data)](  # type: ignore[misc,operator]  # the model of data, known at run time
            id=uuid.uuid4(),
            type=data.subject(),
            source=data.producer,
            time=datetime.now(UTC),
            subject=subject,
            aggregate_version=aggregate_version,
            correlation_id=correlation_id,
            causation_id=causation_id,
            data=data,
        )
