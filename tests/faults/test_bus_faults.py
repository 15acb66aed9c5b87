"""Fault drills on the bus (issue 15, point 9): nats-server SIGKILLed during a burst of saves and started again on
the same store (a broker of this module's own: the machine's shared broker is never killed); events republished
with the same and with a new message id; a poison message dead-lettered with its reason while the next message
is still handled."""

from __future__ import annotations

import asyncio
import json
import time
import uuid

import nats

from tests.faults.drills import KARIM, Burst, _latest_figures_event, check_invariants, karim_forms
from tests.faults.platform import LONG, Platform, wait_for

OUTAGE_SECONDS = 8 if LONG else 3


# nats-server is killed here: a broker of this module's own (conftest ``broker``)
OWN_BROKER = True


def test_nats_server_killed_and_restarted_on_the_same_store(platform, broker, report_measurement):
    token = platform.login(KARIM)
    forms = karim_forms(platform, token)
    burst = Burst(platform, token, forms, 50_000).start()
    burst.wait_progress(len(forms))
    broker.kill()
    deadline = time.monotonic() + OUTAGE_SECONDS
    while time.monotonic() < deadline:
        time.sleep(0.2)  # the outage itself, not an assertion
    started = time.monotonic()
    broker.start()  # same port, same store directory
    ready = platform.wait_ready()
    burst.join()
    counts = check_invariants(platform, token, forms)
    report_measurement(
        f"fault drill nats-server SIGKILL {OUTAGE_SECONDS} s: services ready {ready:.1f} s, invariants hold "
        f"{time.monotonic() - started:.1f} s after the broker restarted; "
        f"{sum(f.retries for f in forms)} client retries; checked {counts}"
    )


def _publish(platform: Platform, url: str, subject: str, payload: bytes, msg_id: str) -> None:
    async def go():
        nc = await nats.connect(url)
        try:
            await nc.jetstream().publish(f"{platform.prefix}.{subject}", payload, headers={"Nats-Msg-Id": msg_id})
        finally:
            await nc.close()

    asyncio.run(go())


def _inbox(platform: Platform, event_id: str) -> int:
    return platform.query("estimation", "SELECT count(*) FROM inbox WHERE event_id = :e", e=event_id)[0][0]


def test_republished_events_and_a_poison_message(platform, broker, report_measurement):
    token = platform.login(KARIM)
    forms = karim_forms(platform, token)
    Burst(platform, token, forms[:1], 60_000).start().join()
    check_invariants(platform, token, forms[:1])
    declaration = forms[0].declaration_id
    latest = _latest_figures_event(platform, declaration)
    [row] = platform.query("declaration", "SELECT subject, payload FROM outbox WHERE event_id = :e", e=latest["id"])
    subject, payload = row
    before = platform.query("estimation", "SELECT count(*) FROM inbox")[0][0]
    started = time.monotonic()

    # 1. the same message id: JetStream's duplicate window drops it; 2. a new message id, same event: the inbox
    _publish(platform, broker.url, subject, payload.encode(), latest["id"])
    _publish(platform, broker.url, subject, payload.encode(), str(uuid.uuid4()))
    # 3. an older version of the same aggregate, new ids: a stale no-op, never an overwrite
    older = {**json.loads(payload), "id": str(uuid.uuid4()), "aggregate_version": 1}
    older["data"] = {**older["data"], "figures": {"heures_realisees": "1"}}
    _publish(platform, broker.url, subject, json.dumps(older).encode(), older["id"])
    # 4. a poison message: not an envelope at all
    poison_id = str(uuid.uuid4())
    _publish(platform, broker.url, subject, b'{"not": "an envelope"', poison_id)

    dead = wait_for(
        lambda: platform.query(
            "estimation", "SELECT consumer, error FROM dead_letter WHERE payload LIKE '%not%an envelope%'"
        ),
        what="the poison message dead-lettered in estimation",
    )
    assert all(error for _, error in dead), dead  # with its reason
    wait_for(lambda: _inbox(platform, older["id"]) >= 1, what="the stale event handled (a no-op)")
    assert _inbox(platform, latest["id"]) == 1  # handled once, whatever the copies
    # the stale copy changed nothing: estimation still holds the latest figures and version
    [(figures, version)] = platform.query(
        "estimation",
        "SELECT figures, figures_version FROM declaration_figures WHERE CAST(declaration_id AS TEXT) IN (:a, :b)",
        a=declaration,
        b=declaration.replace("-", ""),
    )
    assert (json.loads(figures), version) == (latest["data"]["figures"], latest["aggregate_version"])
    # the next message after the poison is still handled: a new burst of saves reaches estimation
    Burst(platform, token, forms, 70_000).start().join()
    counts = check_invariants(platform, token, forms)
    after = platform.query("estimation", "SELECT count(*) FROM inbox")[0][0]
    assert after > before
    report_measurement(
        f"fault drill republish/poison: {len(dead)} dead letter(s) with reason, event handled once, stale copy a "
        f"no-op, later saves applied {time.monotonic() - started:.1f} s after; checked {counts}"
    )
