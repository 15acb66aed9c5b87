"""What an Idempotency-Key costs a transmit (issue 16): its reservation, and the answer kept with the effect in the
use case's own transaction — no second write of the same answer after it, and no sweep of the expired keys on every
request. A key whose day is over is free again, swept or not."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import event as sa_event

from afas_declaration.application import request_outcome
from afas_declaration.gateway.hardening import idempotency_store as idempotency
from afas_declaration.gateway.hardening.idempotent import _as_response, _canonical
from afas_shared.clock import ManualClock
from afas_shared.testing.fixtures import running

ANSWER = {"version": 1, "hash": "ab", "estimation": {"disponible": True, "montant": "12.50"}}


def _writes(statements: list[str], verb: str) -> int:
    return sum(1 for sql in statements if sql.lstrip().upper().startswith(verb) and "idempotency_record" in sql)


async def test_an_answer_kept_with_its_effect_is_not_written_twice_and_the_sweep_runs_once_a_minute(make_settings):
    clock = ManualClock(datetime(2027, 3, 2, 8, 0, tzinfo=UTC))
    async with running(make_settings("declaration")) as gateway:
        gateway.clock = clock
        statements: list[str] = []
        sa_event.listen(gateway.db.engine.sync_engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

        async def transmit() -> tuple[int, dict]:
            async with gateway.db.transaction() as session:  # the effect and its answer, committed together
                await request_outcome.settle(session, 201, ANSWER)
            # the route's JSON, spelled its own way: the same answer
            route = '{"version": 1, "estimation": {"montant": "12.50", "disponible": true}, "hash": "ab"}'
            return 201, {"content": _canonical(route), "headers": [("content-type", "application/json")]}

        for key in ("k-1", "k-2"):
            fingerprint = idempotency.fingerprint(f"/api/v1/declarations/{key}/transmit", "{}")
            status, body = await idempotency.once(gateway, "alice", key, fingerprint, transmit, kept_as=_as_response)
            assert status == 201
        assert (_writes(statements, "INSERT"), _writes(statements, "UPDATE"), _writes(statements, "DELETE")) == (
            2,
            2,
            1,
        )

        def must_not_run():
            raise AssertionError("a kept answer is replayed, the effect never attempted again")

        status, replayed = await idempotency.once(gateway, "alice", "k-2", fingerprint, must_not_run)
        assert (status, replayed["content"]) == (201, _as_response(201, ANSWER)["content"])
        assert json.loads(replayed["content"]) == ANSWER

        clock.advance(timedelta(minutes=2))  # a minute later: the next request sweeps again
        fingerprint = idempotency.fingerprint("/api/v1/declarations/k-3/transmit", "{}")
        await idempotency.once(gateway, "alice", "k-3", fingerprint, transmit, kept_as=_as_response)
        assert _writes(statements, "DELETE") == 2


async def test_a_key_whose_day_is_over_is_free_again_before_any_sweep(make_settings):
    clock = ManualClock(datetime(2027, 3, 2, 8, 0, tzinfo=UTC))
    async with running(make_settings("declaration")) as gateway:
        gateway.clock = clock
        runs: list[str] = []

        def action(label: str):
            async def act() -> tuple[int, dict]:
                runs.append(label)
                return 201, {"n": len(runs)}

            return act

        first = idempotency.fingerprint("/api/v1/campaigns", '{"a": 1}')
        assert await idempotency.once(gateway, "alice", "k", first, action("first")) == (201, {"n": 1})
        clock.advance(timedelta(hours=23))
        assert await idempotency.once(gateway, "alice", "k", first, action("replayed")) == (201, {"n": 1})
        clock.advance(timedelta(hours=2))  # over a day: the key is forgotten, even for another body
        gateway.state["idempotency_swept_at"] = clock.now()  # no sweep in between
        other = idempotency.fingerprint("/api/v1/campaigns", '{"a": 2}')
        assert await idempotency.once(gateway, "alice", "k", other, action("again")) == (201, {"n": 2})
        assert runs == ["first", "again"]
