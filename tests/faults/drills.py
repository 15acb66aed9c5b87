"""The burst a partner system sends (form saves through the public API, retried on every failure as the README
says) and the invariants every drill ends with."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field

from tests.faults.platform import LONG, SERVICES, TIMEOUT, Platform, http, wait_for

KARIM = "200000002"  # activity-data provider of the demo's ALSH (both sites) and EAJE
SAVES_PER_FORM = 60 if LONG else 15
FIELD = "heures_realisees"


@dataclass
class FormLog:
    form_id: str
    declaration_id: str
    acked: list[tuple[str, int]] = field(default_factory=list)  # (value, version) of every 200
    attempted: list[str] = field(default_factory=list)
    retries: int = 0
    errors: list[str] = field(default_factory=list)


def karim_forms(platform: Platform, token: str) -> list[FormLog]:
    status, declarations = http("GET", f"{platform.gateway}/api/v1/declarations", token=token)
    assert status == 200, declarations
    forms = []
    for d in declarations["elements"]:
        status, detail = http("GET", f"{platform.gateway}/api/v1/declarations/{d['id']}", token=token)
        assert status == 200, detail
        for form in detail["formulaires"]:
            if form.get("type") == "activite" and form.get("modifiable"):
                forms.append(FormLog(form["id"], d["id"]))
    assert len(forms) >= 2, forms  # his ALSH site and the EAJE
    return forms


class Burst:
    """One thread per form, each saving SAVES_PER_FORM increasing values in turn, retrying until acknowledged."""

    def __init__(self, platform: Platform, token: str, forms: list[FormLog], base: int) -> None:
        self.platform, self.token, self.forms, self.base = platform, token, forms, base
        self.threads = [threading.Thread(target=self._run, args=(f,), daemon=True) for f in forms]
        self.progress = 0
        self._lock = threading.Lock()

    def start(self) -> Burst:
        for t in self.threads:
            t.start()
        return self

    def wait_progress(self, saves: int) -> None:
        wait_for(lambda: self.progress >= saves, what=f"{saves} saves acknowledged")

    def join(self) -> None:
        deadline = time.monotonic() + 3 * TIMEOUT
        for t in self.threads:
            t.join(timeout=max(1, deadline - time.monotonic()))
        assert not any(t.is_alive() for t in self.threads), "the burst did not finish"
        for f in self.forms:
            assert not f.errors, f.errors

    def _run(self, log: FormLog) -> None:
        try:
            self._saves(log)
        except Exception as exc:  # a harness failure must fail the drill, never end a thread silently
            log.errors.append(f"burst thread failed: {exc!r}")

    def _saves(self, log: FormLog) -> None:
        url = f"{self.platform.gateway}/api/v1/forms/{log.form_id}"
        for i in range(1, SAVES_PER_FORM + 1):
            value = str(self.base + i * 10)
            log.attempted.append(value)
            deadline = time.monotonic() + 3 * TIMEOUT
            while True:
                if time.monotonic() > deadline:
                    log.errors.append(f"save {value} never acknowledged")
                    return
                status, form = read_form(self.platform, self.token, log)
                if status != 200:
                    log.retries += 1
                    time.sleep(1 if status == 429 else 0.2)
                    continue
                if form["valeurs"].get(FIELD) == value:
                    break  # an earlier attempt committed, its answer was lost: the partner sees it saved
                status, body = http(
                    "PUT", url, {"version": form["version"], "valeurs": {FIELD: value}}, self.token, timeout=20
                )
                if status == 200:
                    log.acked.append((value, body["version"]))
                    with self._lock:
                        self.progress += 1
                    break
                if status == 429:  # the gateway's rate limit: a partner waits as told, then retries
                    log.retries += 1
                    time.sleep(1)
                    continue
                if status not in (0, 409, 500, 502, 503, 504):
                    log.errors.append(f"save {value}: {status} {body}")
                    return
                log.retries += 1
                time.sleep(0.2)


def read_form(platform: Platform, token: str, log: FormLog, timeout: float = 10) -> tuple[int, dict]:
    """The form as the partner reads it; a 429 of the gateway's rate limit is waited out as told, like a partner
    system would (the drills check the platform's state, not the rate limit)."""
    deadline = time.monotonic() + TIMEOUT
    while True:
        status, detail = http(
            "GET", f"{platform.gateway}/api/v1/declarations/{log.declaration_id}", token=token, timeout=timeout
        )
        if status != 429 or time.monotonic() > deadline:
            break
        time.sleep(1)
    if status != 200:
        return status, detail
    return status, next(f for f in detail["formulaires"] if f["id"] == log.form_id)


def check_invariants(platform: Platform, token: str, forms: list[FormLog]) -> dict[str, int]:
    """Every acknowledged save readable; estimation's figures at the declaration's latest event; outboxes
    drained; no duplicate mail; every service ready. Returns the counts checked."""
    counts = {"acked_saves": 0, "forms": len(forms), "declarations": 0, "outboxes": 0}
    for f in forms:
        versions = [v for _, v in f.acked]
        assert versions == sorted(set(versions)), (f.form_id, f.acked)  # never two answers for one version
        status, form = read_form(platform, token, f)
        assert status == 200, form
        assert form["valeurs"].get(FIELD) == f.attempted[-1], (f.form_id, form["valeurs"], f.acked)
        assert form["version"] >= (versions[-1] if versions else 0)
        counts["acked_saves"] += len(f.acked)

    # the services' outboxes drained (nothing left unsent after the faults)
    for service in SERVICES:
        wait_for(
            lambda s=service: platform.query(s, "SELECT count(*) FROM outbox WHERE sent_at IS NULL")[0][0] == 0,
            what=f"{service} outbox drained",
        )
        counts["outboxes"] += 1

    # estimation's read model at the latest figures the declaration published, for every declaration saved
    declarations = sorted({f.declaration_id for f in forms})
    for declaration_id in declarations:
        latest = _latest_figures_event(platform, declaration_id)

        def estimated(d=declaration_id, latest=latest):
            rows = platform.query(
                "estimation",
                "SELECT figures, figures_version FROM declaration_figures WHERE CAST(declaration_id AS TEXT) "
                "IN (:a, :b)",
                a=d,
                b=d.replace("-", ""),
            )
            if (
                rows
                and json.loads(rows[0][0]) == latest["data"]["figures"]
                and rows[0][1] == latest["aggregate_version"]
            ):
                return True
            estimated.last = rows  # shown if it never catches up
            return None

        wait_for(estimated, what=f"estimation's figures of {declaration_id} at the latest save {latest}")
        counts["declarations"] += 1

    # notification's copy of every form at the version the partner reads (its reminders depend on it)
    for f in forms:
        status, form = read_form(platform, token, f)
        assert status == 200, form

        def copied(f=f, version=form["version"]):
            rows = platform.query(
                "notification",
                "SELECT form_version FROM form_copy WHERE CAST(form_id AS TEXT) IN (:a, :b)",
                a=f.form_id,
                b=f.form_id.replace("-", ""),
            )
            return bool(rows) and rows[0][0] == version or None

        wait_for(copied, what=f"notification's copy of form {f.form_id} at version {form['version']}")
        counts["notification_forms"] = counts.get("notification_forms", 0) + 1

    # no mail twice for one (recipient, declaration, kind)
    duplicates = platform.query(
        "notification",
        "SELECT user_id, email, declaration_id, kind, count(*) FROM message WHERE declaration_id IS NOT NULL "
        "GROUP BY user_id, email, declaration_id, kind HAVING count(*) > 1",
    )
    assert duplicates == [], duplicates
    counts["messages"] = platform.query("notification", "SELECT count(*) FROM message")[0][0]
    for service in SERVICES:
        assert platform.ready(service), f"{service} not ready\n{platform.log_tail(service)}"
    return counts


def _latest_figures_event(platform: Platform, declaration_id: str) -> dict:
    rows = platform.query(
        "declaration",
        "SELECT payload FROM outbox WHERE subject LIKE '%declaration_figures_updated%' ORDER BY seq",
    )
    mine = [e for e in (json.loads(r[0]) for r in rows) if e["subject"] == declaration_id]
    assert mine, f"no declaration_figures_updated for {declaration_id}"
    return max(mine, key=lambda e: e["aggregate_version"])
