"""Fault drills (issue 15, point 9): a service SIGKILLed or frozen (SIGSTOP) during a burst of form saves sent
through the public API by a partner that retries every failure; then nothing acknowledged is lost or doubled,
estimation's read model is at the latest save of every declaration, outboxes are drained, no mail is doubled,
and every service is ready again. ``AFAS_FAULTS_LONG=1`` (``make faults``) runs longer bursts."""

from __future__ import annotations

import json
import signal
import time

import pytest

from afas_shared.testing.eaje import EAJE_ACTIVITY, EAJE_BUDGET
from tests.faults.drills import KARIM, Burst, check_invariants, karim_forms
from tests.faults.platform import LONG, SERVICES, TIMEOUT, wait_for

FREEZE_SECONDS = 10 if LONG else 4


def _drill(platform, report_measurement, name: str, base: int, fault) -> None:
    token = platform.login(KARIM)
    forms = karim_forms(platform, token)
    burst = Burst(platform, token, forms, base).start()
    burst.wait_progress(len(forms))  # the burst is under way
    started = time.monotonic()
    fault()
    burst.join()
    counts = check_invariants(platform, token, forms)
    recovery = time.monotonic() - started
    retries = sum(f.retries for f in forms)
    report_measurement(
        f"fault drill {name}: recovered (burst done, invariants hold) {recovery:.1f} s after the fault; "
        f"{retries} client retries; checked {counts}"
    )


@pytest.mark.parametrize("service", ["declaration", "estimation", "notification"])
def test_sigkill_during_a_burst_of_saves_then_restart(platform, report_measurement, service):
    restarted = {}

    def fault():
        platform.kill(service)
        restarted["ready_after"] = platform.restart(service)

    base = {"declaration": 10_000, "estimation": 20_000, "notification": 30_000}[service]
    _drill(platform, report_measurement, f"SIGKILL {service}", base, fault)
    report_measurement(f"fault drill SIGKILL {service}: ready again {restarted['ready_after']:.1f} s after restart")


def test_frozen_estimation_during_a_burst_of_saves(platform, report_measurement):
    def fault():
        platform.signal("estimation", signal.SIGSTOP)
        try:
            # frozen while the burst goes on: saves keep being acknowledged (estimate said unavailable)
            before = sum(len(f.acked) for f in forms_holder)
            wait_for(
                lambda: sum(len(f.acked) for f in forms_holder) > before or None,
                what="saves acknowledged while estimation is frozen",
            )
            deadline = time.monotonic() + FREEZE_SECONDS
            while time.monotonic() < deadline:
                time.sleep(0.2)  # the freeze itself, not an assertion
        finally:
            platform.signal("estimation", signal.SIGCONT)

    token = platform.login(KARIM)
    forms_holder = karim_forms(platform, token)
    burst = Burst(platform, token, forms_holder, 40_000).start()
    burst.wait_progress(len(forms_holder))
    started = time.monotonic()
    fault()
    burst.join()
    counts = check_invariants(platform, token, forms_holder)
    recovery = time.monotonic() - started - FREEZE_SECONDS
    report_measurement(
        f"fault drill SIGSTOP estimation {FREEZE_SECONDS} s: recovered {recovery:.1f} s after SIGCONT; "
        f"{sum(f.retries for f in forms_holder)} client retries; checked {counts}"
    )


ADMIN, SOPHIE = "200000001", "200000003"  # the EAJE's validated approbateur, its financial-data provider
# billed ≤ 107 % of realised (62,000 h for 60,000 h): nothing to justify, the EAJE can be transmitted
TRANSMITTABLE_ACTIVITY = {**EAJE_ACTIVITY, "heures_facturees": "62000"}


def test_sigkill_of_the_gateway_during_a_transmit_retried_with_its_idempotency_key(platform, report_measurement):
    """Last of the module: the EAJE's forms are frozen once transmitted."""
    import threading
    import uuid

    from tests.faults.platform import http

    g = platform.gateway
    tokens = {who: platform.login(who) for who in (KARIM, SOPHIE, ADMIN)}
    [eaje] = [
        d
        for d in http("GET", f"{g}/api/v1/declarations", token=tokens[ADMIN])[1]["elements"]
        if d["type_activite"] == "eaje_psu"
    ]
    url = f"{g}/api/v1/declarations/{eaje['id']}"
    for who, kind, values in ((KARIM, "activite", TRANSMITTABLE_ACTIVITY), (SOPHIE, "financier", EAJE_BUDGET)):
        status, detail = http("GET", url, token=tokens[who])
        [form] = [f for f in detail["formulaires"] if f["type"] == kind] or [
            f for f in detail["formulaires"] if f["type"] != "activite"
        ]
        status, body = http(
            "PUT", f"{g}/api/v1/forms/{form['id']}", {"version": form["version"], "valeurs": values}, tokens[who]
        )
        assert status == 200, (who, status, body)
    status, controls = http("POST", f"{url}/controls", token=tokens[ADMIN])
    assert status == 200 and controls["transmissible"], controls

    key = str(uuid.uuid4())
    answers: list[tuple[int, dict]] = []

    def partner() -> None:  # retries the same transmit with the same key until it gets an answer
        deadline = time.monotonic() + 3 * TIMEOUT
        while time.monotonic() < deadline:
            status, body = http(
                "POST", f"{url}/transmit", {"signature": True}, tokens[ADMIN], headers={"Idempotency-Key": key}
            )
            answers.append((status, body))
            if status == 201:
                return
            time.sleep(1 if status in (409, 429) else 0.2)

    sender = threading.Thread(target=partner, daemon=True)
    sender.start()
    time.sleep(0.05)  # the fault's timing, not an assertion: the first transmit is in flight
    started = time.monotonic()
    platform.kill("declaration")
    ready = platform.restart("declaration")
    sender.join(timeout=3 * TIMEOUT)
    assert answers and answers[-1][0] == 201, answers
    first = answers[-1][1]
    # the same key once more: the first answer replayed, nothing new. On a loaded box an attempt may outlive the lease
    # and a later one take its key over: that one is told « en cours » (409) until it ends, then replays the same answer
    deadline = time.monotonic() + TIMEOUT
    while True:
        replayed = http("POST", f"{url}/transmit", {"signature": True}, tokens[ADMIN], headers={"Idempotency-Key": key})
        if replayed[0] != 409 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert replayed == (201, first)

    def stored():  # the receipt is rendered by a worker after the answer (or by the reconciliation after the kill)
        return platform.query(
            "declaration",
            "SELECT version, length(receipt) FROM transmission WHERE CAST(declaration_id AS TEXT) IN (:a, :b)",
            a=eaje["id"],
            b=eaje["id"].replace("-", ""),
        )

    wait_for(lambda: [r for r in stored() if r[1] > 0], what="the receipt rendered and stored")
    rows = stored()
    assert len(rows) == 1 and rows[0][1] > 0, rows  # one snapshot, with its receipt
    status, versions = http("GET", f"{url}/versions", token=tokens[ADMIN])
    assert status == 200 and len(versions) == 1, versions
    assert (
        http(
            "GET",
            first["accuse_reception"]
            if first["accuse_reception"].startswith("http")
            else f"{g}{first['accuse_reception']}",
            token=tokens[ADMIN],
        )[0]
        == 200
    )
    events = [
        json.loads(p)
        for (p,) in platform.query(
            "declaration", "SELECT payload FROM outbox WHERE subject LIKE '%declaration_transmitted%'"
        )
    ]
    mine = [e for e in events if e["subject"] == eaje["id"]]
    assert len(mine) == 1, mine  # one declaration_transmitted event
    wait_for(
        lambda: platform.query("declaration", "SELECT count(*) FROM outbox WHERE sent_at IS NULL")[0][0] == 0,
        what="the transmitted event published",
    )
    [outbox_subject] = {
        s
        for (s,) in platform.query(
            "declaration", "SELECT subject FROM outbox WHERE subject LIKE '%declaration_transmitted%'"
        )
    }
    assert _stream_count(platform, outbox_subject) == 1  # one declaration_transmitted in the stream too
    for service in SERVICES:
        assert platform.ready(service)
    report_measurement(
        f"fault drill SIGKILL declaration during transmit: {len(answers)} partner attempt(s), answered 201 "
        f"{time.monotonic() - started:.1f} s after the kill (gateway ready in {ready:.1f} s); 1 snapshot, "
        f"1 receipt, 1 declaration_transmitted event"
    )


def _stream_count(platform, contract_subject: str) -> int:
    import asyncio

    import nats

    async def go() -> int:
        nc = await nats.connect(platform.nats_url)
        try:
            wire = f"{platform.prefix}.{contract_subject}"
            info = await nc.jetstream().stream_info(f"{platform.prefix}_declaration".upper(), subjects_filter=wire)
            return (info.state.subjects or {}).get(wire, 0)
        finally:
            await nc.close()

    return asyncio.run(go())


AGENT = "100000001"  # the Caf de la Somme's instruction agent


def test_sigkill_of_estimation_and_notification_during_a_refusal_and_the_transmit_that_follows(
    platform, report_measurement
):
    """After the gateway drill: the Caf refuses the EAJE, the service is SIGKILLed at once (the refusal event on its
    way to notification's mail, the estimate the transmit asks of estimation), the approbateur transmits the revision
    with an Idempotency-Key, retrying every failure. Then: every version transmitted once with its receipt and one
    declaration_transmitted event; each refusal mailed once to the approbateur (one Message-ID; the SMTP server is
    real); notification's copy of the declaration at the last outcome; outboxes drained; every service ready."""
    import threading
    import uuid

    from tests.faults.platform import http

    g = platform.gateway
    tokens = {who: platform.login(who) for who in (ADMIN, AGENT)}
    [eaje] = [
        d
        for d in http("GET", f"{g}/api/v1/declarations", token=tokens[ADMIN])[1]["elements"]
        if d["type_activite"] == "eaje_psu"
    ]
    url = f"{g}/api/v1/declarations/{eaje['id']}"
    declaration_keys = (eaje["id"], eaje["id"].replace("-", ""))

    def versions() -> list[dict]:
        status, body = http("GET", f"{url}/versions", token=tokens[ADMIN])
        assert status == 200, body
        return body

    def refusal_mails() -> list[str]:
        ids = refusal_ids()
        return [m for m in platform.mail_ids() if m in ids]

    def refusal_ids() -> set[str]:
        rows = platform.query(
            "notification",
            "SELECT message_id FROM message WHERE kind = 'refus_caf' AND CAST(declaration_id AS TEXT) IN (:a, :b)",
            a=declaration_keys[0],
            b=declaration_keys[1],
        )
        return {r[0] for r in rows}

    transmitted = len(versions())
    assert transmitted >= 1  # the gateway drill transmitted version 1
    figures = []
    for service in ("notification", "estimation"):
        status, body = http(
            "POST", f"{url}/refuse", {"motif": f"Exercice de reprise : {service} arrêté."}, tokens[AGENT], timeout=30
        )
        assert status == 200, (status, body)
        started = time.monotonic()
        platform.kill(service)  # the refusal's event is on its way; the transmit below needs an estimate
        key = str(uuid.uuid4())
        answers: list[tuple[int, dict]] = []

        def partner(key: str = key, answers: list = answers) -> None:
            deadline = time.monotonic() + 3 * TIMEOUT
            while time.monotonic() < deadline:
                status, controls = http("POST", f"{url}/controls", token=tokens[ADMIN], timeout=30)
                if status == 200 and controls.get("transmissible"):
                    status, body = http(
                        "POST",
                        f"{url}/transmit",
                        {"signature": True},
                        tokens[ADMIN],
                        headers={"Idempotency-Key": key},
                        timeout=30,
                    )
                    answers.append((status, body))
                    if status == 201:
                        return
                time.sleep(1 if status in (409, 429) else 0.2)

        sender = threading.Thread(target=partner, daemon=True)
        sender.start()
        ready = platform.restart(service)
        sender.join(timeout=3 * TIMEOUT)
        assert answers and answers[-1][0] == 201, answers[-5:]
        transmitted += 1
        assert answers[-1][1]["version"] == transmitted, answers[-1]
        history = versions()
        assert [v["version"] for v in history] == list(range(1, transmitted + 1)), history
        for v in history:  # each version's receipt downloads
            link = v["accuse_reception"]
            assert http("GET", link if link.startswith("http") else f"{g}{link}", token=tokens[ADMIN])[0] == 200
        rows = platform.query(
            "declaration",
            "SELECT version FROM transmission WHERE CAST(declaration_id AS TEXT) IN (:a, :b) ORDER BY version",
            a=declaration_keys[0],
            b=declaration_keys[1],
        )
        assert [r[0] for r in rows] == list(range(1, transmitted + 1)), rows  # one snapshot per version
        events = [
            json.loads(p)
            for (p,) in platform.query(
                "declaration", "SELECT payload FROM outbox WHERE subject LIKE '%declaration_transmitted%'"
            )
        ]
        mine = sorted(e["data"]["declaration_version"] for e in events if e["subject"] == eaje["id"])
        assert mine == list(range(1, transmitted + 1)), mine  # one declaration_transmitted per version
        refusals = transmitted - 1

        # each refusal mailed once to the approbateur: one message, delivered (resends keep their Message-ID)
        def mailed(r=refusals):
            ids = refusal_ids()
            if len(ids) == r and len(set(refusal_mails())) == r:
                return True
            mailed.last = (
                ids,
                platform.mail_ids(),
                platform.query("notification", "SELECT kind, mail_state FROM message"),
            )
            return None

        mailed.last = None
        try:
            wait_for(mailed, what=f"{refusals} refusal mail(s) delivered")
        except AssertionError as e:
            raise AssertionError(f"{e}: {mailed.last}\n{platform.log_tail('notification')}") from None
        # notification's copy of the declaration at the last outcome: transmitted, at the newest version
        wait_for(
            lambda t=transmitted: (
                platform.query(
                    "notification",
                    "SELECT outcome, outcome_version, version FROM declaration_copy "
                    "WHERE CAST(declaration_id AS TEXT) IN (:a, :b)",
                    a=declaration_keys[0],
                    b=declaration_keys[1],
                )
                == [("transmise", t, t)]
                or None
            ),
            what="notification's copy of the declaration at the last transmit",
        )
        for s in SERVICES:
            wait_for(
                lambda s=s: platform.query(s, "SELECT count(*) FROM outbox WHERE sent_at IS NULL")[0][0] == 0,
                what=f"{s} outbox drained",
            )
            assert platform.ready(s), f"{s} not ready\n{platform.log_tail(s)}"
        figures.append(
            f"SIGKILL {service} after a refusal: transmit of version {transmitted} answered 201 after "
            f"{len(answers)} attempt(s), {time.monotonic() - started:.1f} s after the kill ({service} ready again in "
            f"{ready:.1f} s); {len(refusal_mails())} refusal mail(s) received for {refusals} refusal(s)"
        )
    report_measurement("fault drill " + "; ".join(figures))
