"""The operator's dead-letter desk: list (text, JSON), replay to the one consumer that failed, discard, audit."""

from __future__ import annotations

import io
import json
import logging

import pytest

from afas_shared.contracts.events.identity import UserCreatedV1
from afas_shared.messaging import dead_letter_cli
from afas_shared.messaging.dead_letter_cli import parser, run
from afas_shared.messaging.dead_letters import NothingToReplay, ReplayFailed, actions, list_dead_letters, replay
from afas_shared.messaging.naming import BusNames
from afas_shared.messaging.tables import DeadLetter
from afas_shared.telemetry.logs import JsonFormatter
from afas_shared.testing.fixtures import eventually

FAILING = BusNames.durable("probe", UserCreatedV1.subject())
HEALTHY = BusNames.durable("other", UserCreatedV1.subject())


@pytest.fixture
async def desk(probe, monkeypatch):
    """A probe service whose consumer ``probe`` fails while ``broken`` and whose consumer ``other`` never does;
    one event dead-lettered by ``probe`` only, the CLI pointed at the probe's database and consumers."""
    broken = {"yes": True}
    other_calls: list[str] = []

    async def fails_while_broken(uow, envelope):
        if broken["yes"]:
            raise ValueError("barème introuvable")

    async def other(uow, envelope):
        other_calls.append(str(envelope.id))

    p = await probe(handler=fails_while_broken, also=[("other", other)])
    [event_id] = await p.emit(1)
    [letter] = await eventually(lambda: list_dead_letters(p.db), timeout=15)
    await eventually(lambda: other_calls, timeout=10)

    monkeypatch.setenv("AFAS_PROBE_DATABASE_URL", p.settings.database_url)
    monkeypatch.setattr(dead_letter_cli, "SERVICES", (*dead_letter_cli.SERVICES, "probe"))

    async def probe_consumers(service):
        async def keep_open() -> None:
            pass

        return p.db, {c.name: c for c in p.bus.consumers}, keep_open

    monkeypatch.setattr(dead_letter_cli, "consumers_of", probe_consumers)
    return p, letter, event_id, broken, other_calls


async def cli(*argv: str) -> tuple[int, str]:
    out = io.StringIO()
    code = await run(parser().parse_args(["--service", "probe", *argv]), out)
    return code, out.getvalue()


async def test_dead_letters_are_listed_as_text_and_as_json(desk):
    p, letter, event_id, *_ = desk
    code, text = await cli("list")
    assert code == 0
    assert f"#{letter.id}" in text and FAILING in text and f"event={event_id}" in text and "waiting" in text
    assert "barème introuvable" in text

    code, raw = await cli("list", "--json")
    [entry] = json.loads(raw)
    assert entry["id"] == letter.id and entry["consumer"] == FAILING and entry["event_id"] == event_id
    assert entry["state"] == "waiting" and entry["deliveries"] == p.settings.consumer_max_deliver
    assert "barème introuvable" in entry["error"]


async def test_replay_reaches_only_the_consumer_that_failed_and_adds_nothing_to_the_stream(desk, caplog):
    p, letter, event_id, broken, other_calls = desk
    messages_before = await p.stream_messages()
    broken["yes"] = False
    with caplog.at_level(logging.INFO, logger="afas_shared.messaging.dead_letters"):
        code, text = await cli("replay", str(letter.id), "--by", "agnes.lefevre", "--reason", "barème chargé")
    assert code == 0 and "handled" in text

    assert await p.effects() == [event_id]  # the failed consumer did the work, once
    assert other_calls == [event_id]  # the other consumer never saw it again
    assert await p.stream_messages() == messages_before  # no new copy in the stream
    assert await list_dead_letters(p.db) == []
    [replayed] = await list_dead_letters(p.db, include_replayed=True)
    assert replayed.state == "replayed" and replayed.replayed_at

    [action] = await actions(p.db, letter.id)
    assert (action.action, action.actor, action.reason, action.outcome) == (
        "replayed",
        "agnes.lefevre",
        "barème chargé",
        "handled",
    )
    [record] = [r for r in caplog.records if getattr(r, "audit", None)]
    line = json.loads(JsonFormatter("probe").format(record))
    assert line["audit"]["event"] == "dead_letter_replayed"
    assert line["audit"]["actor"] == "agnes.lefevre" and line["audit"]["dead_letter_id"] == letter.id
    assert line["audit"]["reason"] == "barème chargé" and line["audit"]["at"]

    code, _ = await cli("replay", str(letter.id))
    assert code == 1  # already replayed: refused


async def test_a_replay_that_fails_again_leaves_the_dead_letter_waiting_and_is_audited(desk):
    p, letter, _event_id, _broken, other_calls = desk
    with pytest.raises(ReplayFailed, match="barème introuvable"):
        await replay(p.db, {c.name: c for c in p.bus.consumers}, letter.id, actor="ops")
    [still] = await list_dead_letters(p.db)
    assert still.id == letter.id and still.state == "waiting"
    assert await p.count(DeadLetter.__table__) == 1  # no second dead letter
    [action] = await actions(p.db, letter.id)
    assert action.action == "replay_failed" and action.actor == "ops" and "barème introuvable" in action.outcome
    assert await p.effects() == []
    assert len(other_calls) == 1


async def test_discard_needs_a_reason_removes_it_from_the_waiting_list_and_is_audited(desk, monkeypatch):
    p, letter, *_ = desk
    with pytest.raises(SystemExit):  # argparse: --reason is required
        parser().parse_args(["--service", "probe", "discard", str(letter.id)])
    code, _ = await cli("discard", str(letter.id), "--reason", "   ")
    assert code == 1

    monkeypatch.setenv("AFAS_OPERATOR", "karim.bernard")
    code, text = await cli("discard", str(letter.id), "--reason", "déclaration annulée entre-temps")
    assert code == 0 and "discarded" in text
    assert await list_dead_letters(p.db) == []
    [entry] = json.loads((await cli("list", "--all", "--json"))[1])
    assert entry["state"] == "discarded" and entry["discard_reason"] == "déclaration annulée entre-temps"
    code, history = await cli("history", str(letter.id))
    assert "discarded  by karim.bernard" in history and "déclaration annulée entre-temps" in history
    [action] = json.loads((await cli("history", "--json"))[1])
    assert action["action"] == "discarded" and action["actor"] == "karim.bernard"

    with pytest.raises(NothingToReplay, match="discarded"):
        await replay(p.db, {c.name: c for c in p.bus.consumers}, letter.id, actor="ops")
    code, _ = await cli("discard", str(letter.id), "--reason", "encore")
    assert code == 1


async def test_replay_uses_the_services_own_consumers_from_its_bootstrap(monkeypatch, tmp_path):
    from afas_shared.contracts.bus_permissions import CONSUMES, durable_name

    monkeypatch.setenv("AFAS_HABILITATION_DATABASE_URL", f"sqlite:///{tmp_path / 'habilitation.db'}")
    monkeypatch.setenv("AFAS_VAR_DIR", str(tmp_path))
    db, consumers, close = await dead_letter_cli.consumers_of("habilitation")
    try:
        assert set(consumers) == {durable_name("habilitation", c) for c in CONSUMES["habilitation"]}
        assert all(c.db is db for c in consumers.values())
    finally:
        await close()
