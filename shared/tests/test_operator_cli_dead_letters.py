"""``afas dead-letters``: the desk of ``test_dead_letter_desk`` through the operator's one command — a real dead
letter (a probe service's consumer failed it on the broker), listed, replayed once (a second replay answers
``deja``), another discarded once, each act in the service's ``dead_letter_action`` table with who did it."""

from __future__ import annotations

import io
import json

from afas_shared.messaging import dead_letter_cli
from afas_shared.messaging.dead_letters import actions, list_dead_letters
from afas_shared.operator_cli.main import execute
from afas_shared.testing.fixtures import eventually


async def afas(*argv: str) -> tuple[int, dict]:
    out = io.StringIO()
    code = await execute(["dead-letters", "--service", "probe", *argv, "--json"], out=out)
    return code, json.loads(out.getvalue()) if out.getvalue() else {}


async def test_dead_letters_are_listed_replayed_and_discarded_once_each(probe, monkeypatch):
    broken = {"yes": True}

    async def fails_while_broken(uow, envelope):
        if broken["yes"]:
            raise ValueError("barème introuvable")

    p = await probe(handler=fails_while_broken)
    await p.emit(2)
    letters = await eventually(lambda: _two(p), timeout=20)
    first, second = (d.id for d in letters)
    monkeypatch.setenv("AFAS_PROBE_DATABASE_URL", p.settings.database_url)
    monkeypatch.setenv("AFAS_OPERATOR", "karim.bernard")
    monkeypatch.setattr(dead_letter_cli, "SERVICES", (*dead_letter_cli.SERVICES, "probe"))

    async def probe_consumers(service):
        async def keep_open() -> None:
            pass

        return p.db, {c.name: c for c in p.bus.consumers}, keep_open

    monkeypatch.setattr(dead_letter_cli, "consumers_of", probe_consumers)

    code, listed = await afas("list")
    assert code == 0 and [d["id"] for d in listed["lettres"]] == [first, second]
    assert all(d["state"] == "waiting" and "barème introuvable" in d["error"] for d in listed["lettres"])

    broken["yes"] = False
    code, replayed = await afas("replay", str(first), "--reason", "barème publié")
    assert code == 0 and replayed["resultat"] == "fait", replayed
    code, again = await afas("replay", str(first))
    assert code == 0 and again == {"resultat": "deja", "service": "probe", "lettre": first}

    code, discarded = await afas("discard", str(second), "--reason", "doublon d'un événement corrigé")
    assert code == 0 and discarded["resultat"] == "fait"
    code, again = await afas("discard", str(second), "--reason", "doublon")
    assert code == 0 and again["resultat"] == "deja"
    code, replay_discarded = await afas("replay", str(second))
    assert code == 1 and replay_discarded == {}  # discarded is not replayed: a refusal, not « deja »

    code, waiting = await afas("list")
    assert waiting["lettres"] == []
    trail = [(a.dead_letter_id, a.action, a.actor) for a in await actions(p.db)]
    # Durably audited: who was shown which letters (the last listing showed none), replayed, discarded
    assert trail == [
        (first, "read", "karim.bernard"),
        (second, "read", "karim.bernard"),
        (first, "replayed", "karim.bernard"),
        (second, "discarded", "karim.bernard"),
    ]
    code, history = await afas("history")
    assert [(a["dead_letter_id"], a["action"]) for a in history["actions"]] == [
        (first, "read"),
        (second, "read"),
        (first, "replayed"),
        (second, "discarded"),
    ]


async def _two(p):
    letters = await list_dead_letters(p.db)
    return letters if len(letters) == 2 else None
