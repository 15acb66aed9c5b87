"""One JetStream stream per producing service, created or updated idempotently at start."""

from __future__ import annotations

from typing import cast

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from afas_shared.contracts.bus_permissions import CAF_CONSUMER_STREAMS
from afas_shared.messaging.naming import BusNames
from afas_shared.settings import CommonSettings

DAY = 24 * 3600


def history_days(common: CommonSettings, producer: str) -> int:
    """How long a producer's stream keeps its events: the streams the Caf back office reads, long enough to replay
    a whole exercice and its revision; identity's (internal, personal data), only what a consumer down may need."""
    return common.bus_history_days if producer in CAF_CONSUMER_STREAMS else common.bus_internal_history_days


def stream_config(
    names: BusNames, producer: str, *, replicas: int, duplicate_window: float, max_age_days: float
) -> StreamConfig:
    return StreamConfig(
        name=names.stream(producer),
        subjects=names.stream_subjects(producer),
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        max_age=max_age_days * DAY,
        duplicate_window=duplicate_window,
        num_replicas=replicas,
    )


async def ensure_stream(js: JetStreamContext, config: StreamConfig) -> None:
    try:
        await js.stream_info(cast(str, config.name))  # stream_config always names the stream
    except NotFoundError:
        await js.add_stream(config)
        return
    await js.update_stream(config)


class StreamNotReady(RuntimeError):
    pass


async def wait_for_stream(js: JetStreamContext, name: str) -> None:
    """A stream another service produces: its producer creates it; a consumer only checks it is there."""
    try:
        await js.stream_info(name)
    except NotFoundError:
        raise StreamNotReady(f"stream {name} not created yet by its producer") from None
