"""Notification's share of a deadline day, per unit of work: SQL statements and CPU, against baselines of the same
run (issue 16). Run by ``tests/benchmarks/test_notification_events_benchmark.py`` on the test backends.

On a running notification service (its real bootstrap), ``declarations`` activities are put in place as the
platform would announce them (users, activity, an approbateur, an FDA and an FDF, the declaration expected with its
two forms); nothing of that is measured. Then, each with the statements sent to the database counted and the CPU of
this process measured:

* the planner (``schedule.run_due``) writing every declaration's opening reminders (to its FDA and FDF);
* the sender (``sender.send_due``) claiming and recording every pending mail (a mailer that keeps them in memory);
* the deadline flow's events, in batches of ``batch`` as the consumer fetches them: two forms saved, the controls,
  the transmission, for each declaration (``deliver_batch``: the consumer's own path, inbox and locks included).

Baselines, measured in the same run: a consumer whose handler does nothing, fed the same number of events in the
same batches (what an event costs before notification's own work), and one ``SELECT 1`` in its own transaction
(what a round trip costs). Figures are per declaration (planner), per mail (sender) and per event (flow).
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa

from afas_notification.application import schedule, sender
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.declaration import (
    DeclarationControlledV1,
    DeclarationExpectedV1,
    DeclarationTransmittedV1,
    ExpectedFormV1,
    FormSavedV1,
)
from afas_shared.contracts.events.habilitation import ActivityRegisteredV1, RoleGrantedV1, SiteV1
from afas_shared.contracts.events.identity import UserCreatedV1
from afas_shared.messaging.consumer import IdempotentConsumer
from afas_shared.runtime import ServiceRuntime
from afas_shared.testing.delivery import deliver_batch, event

CAF = "080"
ROLES = ("approbateur", "fda", "fdf")


class KeptMails:
    """A mailer that keeps what it is given: the SMTP server is not what is measured."""

    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []

    def send(self, message: EmailMessage) -> None:
        self.sent.append(message)


@dataclass
class Statements:
    count: int = 0
    texts: list[str] = field(default_factory=list)


@contextmanager
def counted(runtime: ServiceRuntime):
    """The statements this process sends to the service's database while the block runs."""
    seen = Statements()

    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.count += 1
        seen.texts.append(statement)

    engine = runtime.db.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


@dataclass
class Measured:
    units: int
    statements: int
    cpu_seconds: float

    def per_unit(self) -> dict[str, float]:
        return {
            "units": self.units,
            "statements": self.statements / self.units,
            "cpu_ms": 1000 * self.cpu_seconds / self.units,
        }


async def timed(runtime: ServiceRuntime, units: int, work: Callable[[], Awaitable[Any]]) -> tuple[Measured, Any]:
    with counted(runtime) as seen:
        cpu = time.process_time()
        result = await work()
        cpu = time.process_time() - cpu
    return Measured(units, seen.count, cpu), result


def _in_batches(envelopes: list[Envelope[Any]], batch: int) -> list[list[Envelope[Any]]]:
    return [envelopes[i : i + batch] for i in range(0, len(envelopes), batch)]


async def _deliver_all(runtime: ServiceRuntime, envelopes: list[Envelope[Any]], batch: int) -> list[str]:
    outcomes: list[str] = []
    for contract in dict.fromkeys(e.type for e in envelopes):  # one consumer per contract, as on the bus
        of_kind = [e for e in envelopes if e.type == contract]
        for part in _in_batches(of_kind, batch):
            outcomes += await deliver_batch(runtime, part)
    return outcomes


@dataclass
class Unit:
    declaration: uuid.UUID
    activity: uuid.UUID
    partner: uuid.UUID
    forms: tuple[uuid.UUID, uuid.UUID]
    users: dict[str, uuid.UUID]


async def put_in_place(runtime: ServiceRuntime, declarations: int, deadline: date, batch: int) -> list[Unit]:
    """Users, activities, grants and expected declarations, delivered in batches (not measured)."""
    units, setup = [], []
    for n in range(declarations):
        unit = Unit(uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), (uuid.uuid4(), uuid.uuid4()), {})
        units.append(unit)
        for i, role in enumerate(ROLES):
            user = unit.users[role] = uuid.uuid4()
            created = UserCreatedV1(
                user_id=user,
                identifier=f"{100000000 + 3 * n + i}",
                last_name="Banc",
                first_name=role.capitalize(),
                email=f"{role}{n}@example.org",
                partner_id=unit.partner,
            )
            setup.append(event(created, user))
        registered = ActivityRegisteredV1(
            activity_id=unit.activity,
            partner_id=unit.partner,
            caf_code=CAF,
            family="alsh",
            nature="periscolaire",
            name=f"ALSH {n}",
            site_mode="mono_lieu",
            sites=[SiteV1(site_id=uuid.uuid4(), name="Site principal")],
            opening_date=date(2020, 1, 1),
        )
        setup.append(event(registered, unit.activity))
        for role in ROLES:
            grant = uuid.uuid4()
            granted = RoleGrantedV1(
                grant_id=grant,
                group_id=grant,
                user_id=unit.users[role],
                partner_id=unit.partner,
                role=role,
                activity_id=unit.activity,
                start_date=date(2020, 1, 1),
                validation="not_required",
            )
            setup.append(event(granted, grant))
        expected = DeclarationExpectedV1(
            declaration_id=unit.declaration,
            campaign_id=uuid.uuid4(),
            activity_id=unit.activity,
            partner_id=unit.partner,
            caf_code=CAF,
            exercice=deadline.year,
            declaration_type="reelle",
            deadline=deadline,
            forms=[
                ExpectedFormV1(form_id=unit.forms[0], kind="activite", requested=True),
                ExpectedFormV1(form_id=unit.forms[1], kind="financier", requested=True),
            ],
        )
        setup.append(event(expected, unit.declaration))
    outcomes = await _deliver_all(runtime, setup, batch)
    assert set(outcomes) == {"handled"}, outcomes
    return units


def flow(units: list[Unit], start: datetime) -> list[Envelope[Any]]:
    """Each declaration's events of a deadline day, in the order declaration publishes them."""
    saved, controlled, transmitted = [], [], []
    for unit in units:
        for version, (form, kind) in enumerate(zip(unit.forms, ("activite", "financier"), strict=True), start=2):
            data = FormSavedV1(
                form_id=form,
                declaration_id=unit.declaration,
                activity_id=unit.activity,
                kind=kind,
                form_version=1,
                saved_by=unit.users["fda" if kind == "activite" else "fdf"],
            )
            saved.append(event(data, unit.declaration, version, time=start + timedelta(seconds=version)))
        control = DeclarationControlledV1(
            declaration_id=unit.declaration,
            activity_id=unit.activity,
            declaration_version=1,
            blocking=0,
            flagged=0,
            ready=True,
        )
        controlled.append(event(control, unit.declaration, 4, time=start + timedelta(seconds=4)))
        sent = DeclarationTransmittedV1(
            declaration_id=unit.declaration,
            declaration_version=1,
            activity_id=unit.activity,
            partner_id=unit.partner,
            caf_code=CAF,
            family="alsh",
            nature="periscolaire",
            exercice=2026,
            declaration_type="reelle",
            transmitted_by=unit.users["approbateur"],
            transmitted_at=start + timedelta(seconds=5),
            snapshot_hash="0" * 64,
            figures={"heures": "1000"},
            flagged_justified=[],
            revision=False,
        )
        transmitted.append(event(sent, unit.declaration, 5, time=start + timedelta(seconds=5)))
    return saved + controlled + transmitted


async def bare_consumer(runtime: ServiceRuntime, events: int, batch: int) -> Measured:
    """A consumer doing nothing but its inbox and locks, on the service's database, fed ``events`` events."""

    async def nothing(uow, envelope) -> None:
        return None

    consumer = IdempotentConsumer(
        "bench_bare", DeclarationControlledV1.subject(), nothing, runtime.db, max_deliver=1, backoff=[1.0]
    )
    envelopes = []
    for _ in range(events):
        declaration = uuid.uuid4()
        data = DeclarationControlledV1(
            declaration_id=declaration,
            activity_id=uuid.uuid4(),
            declaration_version=1,
            blocking=0,
            flagged=0,
            ready=True,
        )
        envelopes.append(event(data, declaration, 4))

    async def run() -> None:
        for part in _in_batches(envelopes, batch):
            await consumer.process_batch(part)

    measured, _ = await timed(runtime, events, run)
    return measured


async def bare_statement(runtime: ServiceRuntime, rounds: int) -> Measured:
    async def run() -> None:
        for _ in range(rounds):
            async with runtime.db.transaction() as session:
                await session.execute(sa.text("SELECT 1"))

    measured, _ = await timed(runtime, rounds, run)
    return measured


async def measure(runtime: ServiceRuntime, declarations: int, batch: int) -> dict[str, Any]:
    """Every figure of the module's docstring, with the load average; checks what each step did. The runtime's
    clock must be a ``ManualClock``: the opening reminders are made due by moving it a day on."""
    deadline = (runtime.clock.now() + timedelta(days=40)).date()
    mailer = runtime.state["mailer"] = KeptMails()
    units = await put_in_place(runtime, declarations, deadline, batch)
    # The grants' notices are not the deadline day's: sent before, out of the measure
    await sender.send_due(runtime, limit=100_000)
    mailer.sent.clear()

    result: dict[str, Any] = {"declarations": declarations, "batch": batch}
    later = runtime.clock.advance(timedelta(days=1))
    planner, written = await timed(runtime, declarations, lambda: schedule.run_due(runtime))
    assert written == 2 * declarations, written  # each declaration's FDA and FDF are told it is open
    result["planner"] = planner.per_unit()

    mails, delivered = await timed(runtime, 2 * declarations, lambda: sender.send_due(runtime, limit=100_000))
    assert delivered == len(mailer.sent) == 2 * declarations, (delivered, len(mailer.sent))
    result["sender"] = mails.per_unit()

    envelopes = flow(units, later)
    total, by_kind = Measured(0, 0, 0.0), {}
    for contract in dict.fromkeys(e.type for e in envelopes):  # saves, then controls, then transmissions
        of_kind = [e for e in envelopes if e.type == contract]
        measured, outcomes = await timed(
            runtime, len(of_kind), lambda of_kind=of_kind: _deliver_all(runtime, of_kind, batch)
        )
        assert outcomes == ["handled"] * len(of_kind), outcomes
        by_kind[contract] = measured.per_unit()
        total = Measured(
            total.units + measured.units,
            total.statements + measured.statements,
            total.cpu_seconds + measured.cpu_seconds,
        )
    result["events"], result["events_by_kind"] = total.per_unit(), by_kind

    result["bare_consumer"] = (await bare_consumer(runtime, len(envelopes), batch)).per_unit()
    result["bare_statement"] = (await bare_statement(runtime, 200)).per_unit()
    result["load_average"] = os.getloadavg()
    return result


def report(result: dict[str, Any], backend: str) -> str:
    bare_event = result["bare_consumer"]["cpu_ms"]
    bare_round = result["bare_statement"]["cpu_ms"]
    load = " ".join(f"{x:.2f}" for x in result["load_average"])
    lines = [
        f"notification per unit of work on {backend}, {result['declarations']} declarations, batches of "
        f"{result['batch']} (load average {load}); baselines: a do-nothing consumer {bare_event:.3f} ms CPU/event "
        f"({result['bare_consumer']['statements']:.2f} statements), one SELECT 1 transaction {bare_round:.3f} ms:"
    ]

    def line(name: str, figures: dict[str, float], unit: str) -> str:
        return (
            f"  {name}: {figures['statements']:.2f} statements/{unit}, {figures['cpu_ms']:.3f} ms CPU/{unit} "
            f"= x{figures['cpu_ms'] / bare_event:.1f} the do-nothing consumer's event, "
            f"x{figures['cpu_ms'] / bare_round:.1f} a SELECT 1 transaction"
        )

    lines.append(line("planner (opening reminders)", result["planner"], "declaration"))
    lines.append(line("sender (claim + record)", result["sender"], "mail"))
    lines.append(line("deadline flow events (2 saves, controls, transmit)", result["events"], "event"))
    for kind, figures in result["events_by_kind"].items():
        lines.append(line(f"    {kind}", figures, "event"))
    return "\n".join(lines)
