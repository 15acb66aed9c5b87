"""A Caf back office's reader of one day's AFAS events, written from docs/consumers.md alone.

Plain nats-py and the standard library, nothing of the project (a test checks this module's imports): what an
outside team would write with the consumer guide and the AsyncAPI documents in hand. It replays each stream from
the day's first second (``deliver_policy=by_start_time``) with a durable consumer of its own, keeps the events
whose envelope ``time`` falls on that day, skips an event ``id`` it has already seen (delivery is at least once)
and acknowledges each message once recorded.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import FetchTimeoutError


@dataclass(frozen=True)
class Account:
    url: str
    user: str
    password: str
    inbox_prefix: str


@dataclass
class DayOfEvents:
    events: list[dict] = field(default_factory=list)  # envelopes, in the order received per stream
    headers: dict[str, dict[str, str]] = field(default_factory=dict)  # event id -> its NATS headers
    duplicates: int = 0


async def read_day(
    account: Account,
    streams: dict[str, str],
    day: date,
    consumer_name: str,
    *,
    from_the_beginning: bool = False,
    batch: int = 100,
    wait: float = 1.0,
) -> DayOfEvents:
    """``streams``: stream name -> subject filter. Reads until each stream's consumer has nothing pending; a consumer
    already there resumes after what it acknowledged. ``from_the_beginning``: a replay of all the stream holds
    (``deliver_policy=all``), still keeping only the day's events."""
    start = datetime.combine(day, time(0), tzinfo=UTC)
    end = start + timedelta(days=1)
    found = DayOfEvents()
    seen: set[str] = set()
    nc = await nats.connect(
        account.url,
        user=account.user,
        password=account.password,
        inbox_prefix=account.inbox_prefix,
        allow_reconnect=False,
    )
    try:
        js = nc.jetstream()
        for stream, subjects in streams.items():
            if from_the_beginning:
                config = ConsumerConfig(deliver_policy=DeliverPolicy.ALL, ack_policy=AckPolicy.EXPLICIT)
            else:
                config = ConsumerConfig(
                    deliver_policy=DeliverPolicy.BY_START_TIME, opt_start_time=start, ack_policy=AckPolicy.EXPLICIT
                )
            sub = await js.pull_subscribe(subjects, durable=consumer_name, stream=stream, config=config)
            while True:
                try:
                    messages = await sub.fetch(batch, timeout=wait)
                except (TimeoutError, FetchTimeoutError):
                    break
                for message in messages:
                    envelope = json.loads(message.data)
                    moment = datetime.fromisoformat(envelope["time"].replace("Z", "+00:00"))
                    if start <= moment < end:
                        if envelope["id"] in seen:
                            found.duplicates += 1
                        else:
                            seen.add(envelope["id"])
                            found.events.append(envelope)
                            found.headers[envelope["id"]] = dict(message.headers or {})
                    await message.ack()
                if (await sub.consumer_info()).num_pending == 0:
                    break
    finally:
        await nc.close()
    return found


async def refused_publish(account: Account, subject: str, wait: float = 0.5) -> str | None:
    """Try to publish on ``subject``; the server's answer (a permissions violation) or None if it let it through."""
    errors: list[str] = []

    async def on_error(exc: Exception) -> None:
        errors.append(str(exc))

    nc = await nats.connect(
        account.url,
        user=account.user,
        password=account.password,
        inbox_prefix=account.inbox_prefix,
        allow_reconnect=False,
        error_cb=on_error,
    )
    try:
        await nc.publish(subject, b"{}")
        await nc.flush(timeout=2)
        await asyncio.sleep(wait)
    finally:
        await nc.close()
    return next((e for e in errors if "permissions violation" in e.lower()), None)
