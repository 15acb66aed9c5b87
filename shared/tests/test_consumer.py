"""Idempotent consumer: effect once per event, retries with backoff, poison to dead letters, replay."""

from __future__ import annotations

import io

import nats

from afas_shared.messaging.dead_letter_cli import parser, run
from afas_shared.messaging.dead_letters import list_dead_letters, replay
from afas_shared.messaging.tables import InboxRecord
from afas_shared.testing.fixtures import eventually


async def test_handler_failing_once_is_redelivered_and_its_effect_happens_once(probe):
    failures = {"left": 1}

    async def flaky(uow, envelope):
        if failures["left"]:
            failures["left"] -= 1
            raise RuntimeError("database hiccup")

    p = await probe(handler=flaky)
    [event_id] = await p.emit(1)
    await eventually(lambda: p.effects(), timeout=10)
    await eventually(lambda: p.count(InboxRecord.__table__), timeout=5)
    assert await p.effects() == [event_id]  # the failed attempt's effect rolled back with it
    assert p.calls == 2
    assert await p.count(InboxRecord.__table__) == 1


async def test_redelivered_event_already_handled_is_skipped(probe, backends):
    p = await probe()
    [event_id] = await p.emit(1)
    await eventually(lambda: p.effects(), timeout=10)
    # The same event again (as after an ack lost in a crash), under another message id.
    async with p.db.sessions() as session:
        from afas_shared.messaging.tables import OutboxRecord

        row = await session.get(OutboxRecord, 1)
    nc = await nats.connect(backends.nats_url)
    try:
        await nc.jetstream().publish(
            p.bus.names.subject(row.subject), row.payload.encode(), headers={"Nats-Msg-Id": "another-copy"}
        )
    finally:
        await nc.close()
    await eventually(lambda: _consumer_caught_up(p), timeout=10)
    assert await p.effects() == [event_id]
    assert p.calls == 1


async def _consumer_caught_up(p) -> bool:
    from afas_shared.messaging.naming import BusNames

    info = await p.bus.js.consumer_info(
        p.bus.names.stream("identity"), BusNames.durable("probe", "identity.user_created.v1")
    )
    return info.num_pending == 0 and info.num_ack_pending == 0


async def test_message_that_always_fails_ends_in_dead_letters_and_can_be_replayed(probe, backends, monkeypatch):
    broken = {"yes": True}

    async def fails_while_broken(uow, envelope):
        if broken["yes"]:
            raise ValueError("barème introuvable")

    p = await probe(handler=fails_while_broken)
    [event_id] = await p.emit(1)
    letters = await eventually(lambda: list_dead_letters(p.db), timeout=15)
    assert len(letters) == 1
    assert letters[0].event_id == event_id
    assert letters[0].deliveries == p.settings.consumer_max_deliver
    assert "barème introuvable" in letters[0].error
    assert p.calls == p.settings.consumer_max_deliver
    assert await p.effects() == []

    # The operator lists it from the command line, fixes the cause, then replays it to that consumer.
    monkeypatch.setenv("AFAS_PROBE_DATABASE_URL", p.settings.database_url)
    out = io.StringIO()
    from afas_shared.messaging import dead_letter_cli

    monkeypatch.setattr(dead_letter_cli, "SERVICES", (*dead_letter_cli.SERVICES, "probe"))

    async def probe_consumers(service):
        async def keep_open() -> None:
            pass

        return p.db, {c.name: c for c in p.bus.consumers}, keep_open

    monkeypatch.setattr(dead_letter_cli, "consumers_of", probe_consumers)
    assert await run(parser().parse_args(["--service", "probe", "list"]), out) == 0
    assert f"event={event_id}" in out.getvalue()

    broken["yes"] = False
    assert await run(parser().parse_args(["--service", "probe", "replay", str(letters[0].id)]), out) == 0
    assert await p.effects() == [event_id]
    assert await list_dead_letters(p.db) == []
    assert len(await list_dead_letters(p.db, include_replayed=True)) == 1
    # replaying twice is refused
    import pytest

    from afas_shared.messaging.dead_letters import NothingToReplay

    consumers = {c.name: c for c in p.bus.consumers}
    with pytest.raises(NothingToReplay):
        await replay(p.db, consumers, letters[0].id, actor="test")


async def test_unparseable_message_goes_straight_to_dead_letters(probe, backends):
    p = await probe()
    nc = await nats.connect(backends.nats_url)
    try:
        await nc.jetstream().publish(p.bus.names.subject("identity.user_created.v1"), b'{"not": "an envelope"}')
    finally:
        await nc.close()
    letters = await eventually(lambda: list_dead_letters(p.db), timeout=10)
    assert letters[0].event_id is None
    assert letters[0].deliveries == 1
    assert "does not match identity.user_created.v1" in letters[0].error
    assert p.calls == 0
