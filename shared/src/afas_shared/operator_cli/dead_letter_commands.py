"""``afas dead-letters``: the dead-letter desk of one service (``afas_shared.messaging.dead_letters``), run where
that service runs, on its database, each act recorded in its ``dead_letter_action`` table — a listing too: who was
shown which letters (``read``), their events possibly carrying personal data.

Replaying a letter already replayed, or discarding one already discarded, answers ``deja`` and changes nothing.
"""

from __future__ import annotations

from typing import Any

from afas_shared.db.engine import Database
from afas_shared.messaging import dead_letter_cli
from afas_shared.messaging.dead_letters import (
    NothingToReplay,
    actions,
    discard,
    list_dead_letters,
    record_reads,
    replay,
)
from afas_shared.operator_cli.campaign_commands import ALREADY, CREATED


class NoSuchLetter(LookupError):
    pass


async def _state(db: Database, dead_letter_id: int) -> str:
    letter = next((d for d in await list_dead_letters(db, include_replayed=True) if d.id == dead_letter_id), None)
    if letter is None:
        raise NoSuchLetter(f"no dead letter #{dead_letter_id}")
    return letter.state


async def list_letters(service: str, include_done: bool, actor: str) -> dict[str, Any]:
    db = Database(dead_letter_cli.settings_for(service).database_url)
    try:
        letters = await list_dead_letters(db, include_replayed=include_done)
        await record_reads(db, letters, actor)
        return {"service": service, "lettres": [d.as_json() for d in letters]}
    finally:
        await db.dispose()


async def history(service: str, dead_letter_id: int | None) -> dict[str, Any]:
    db = Database(dead_letter_cli.settings_for(service).database_url)
    try:
        return {"service": service, "actions": [vars(a) for a in await actions(db, dead_letter_id)]}
    finally:
        await db.dispose()


async def replay_letter(service: str, dead_letter_id: int, actor: str, reason: str | None) -> dict[str, Any]:
    db, consumers, close = await dead_letter_cli.consumers_of(service)
    try:
        try:
            outcome = await replay(db, consumers, dead_letter_id, actor=actor, reason=reason)
        except NothingToReplay:
            if await _state(db, dead_letter_id) != "replayed":
                raise
            return {"resultat": ALREADY, "service": service, "lettre": dead_letter_id}
        return {"resultat": CREATED, "service": service, "lettre": dead_letter_id, "issue": outcome}
    finally:
        await close()


async def discard_letter(service: str, dead_letter_id: int, actor: str, reason: str) -> dict[str, Any]:
    db = Database(dead_letter_cli.settings_for(service).database_url)
    try:
        try:
            await discard(db, dead_letter_id, actor=actor, reason=reason)
        except NothingToReplay:
            if await _state(db, dead_letter_id) != "discarded":
                raise
            return {"resultat": ALREADY, "service": service, "lettre": dead_letter_id}
        return {"resultat": CREATED, "service": service, "lettre": dead_letter_id}
    finally:
        await db.dispose()
