"""The controls' and the transmissions' events applied set-based in a batch (issue 16) end exactly as one by one:
the same copies of declarations (ready, version, outcome), the same reminders cancelled, the same events counted as
no-ops — with two events of one declaration in a batch, an older controls event and a repeated transmission. Both
runs share one service, on two sets of ids."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from afas_notification.adapters.tables import DeclarationCopy, Message
from afas_notification.application import schedule
from afas_shared.clock import ManualClock
from afas_shared.contracts.events.declaration import (
    DeclarationControlledV1,
    DeclarationExpectedV1,
    DeclarationTransmittedV1,
    ExpectedFormV1,
    FormSavedV1,
)
from afas_shared.contracts.events.habilitation import RoleGrantedV1
from afas_shared.testing.delivery import deliver, deliver_batch, event
from afas_shared.testing.fixtures import running

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class Scenario:
    """Two declarations expected with one form each, an FDA on each activity, one form saved late."""

    def __init__(self) -> None:
        self.names: dict[uuid.UUID, str] = {}
        self.partner = self.new("partner")
        self.ids = {d: (self.new(d), self.new(f"{d}-activity"), self.new(f"{d}-form")) for d in ("d1", "d2")}

    def new(self, name: str) -> uuid.UUID:
        self.names[(value := uuid.uuid4())] = name
        return value

    def setup(self) -> list:
        out = []
        for d, (declaration, activity, form) in self.ids.items():
            grant, user = self.new(f"{d}-grant"), self.new(f"{d}-fda")
            granted = RoleGrantedV1(
                grant_id=grant,
                group_id=grant,
                user_id=user,
                partner_id=self.partner,
                role="fda",
                activity_id=activity,
                start_date=date(2026, 1, 1),
                validation="not_required",
            )
            expected = DeclarationExpectedV1(
                declaration_id=declaration,
                campaign_id=self.partner,
                activity_id=activity,
                partner_id=self.partner,
                caf_code="080",
                exercice=2026,
                declaration_type="reelle",
                deadline=date(2026, 5, 31),
                forms=[ExpectedFormV1(form_id=form, kind="activite", requested=True)],
            )
            out += [event(granted, grant, 1), event(expected, declaration, 1)]
        declaration, activity, form = self.ids["d2"]
        save = FormSavedV1(
            form_id=form, declaration_id=declaration, activity_id=activity, kind="activite", form_version=1,
            saved_by=self.partner,
        )  # fmt: skip
        return [*out, event(save, declaration, 2, time=T0 + timedelta(minutes=10))]

    def controlled(self) -> list:
        def controls(d: str, minutes: int, order: int):
            declaration, activity, _ = self.ids[d]
            data = DeclarationControlledV1(
                declaration_id=declaration, activity_id=activity, declaration_version=1, blocking=0, flagged=0,
                ready=True,
            )  # fmt: skip
            return event(data, declaration, order, time=T0 + timedelta(minutes=minutes))

        # d1 ready, then older controls (a no-op); d2's first controls are older than its save, its second ready
        return [controls("d1", 5, 3), controls("d1", 3, 4), controls("d2", 5, 3), controls("d2", 12, 4)]

    def transmitted(self) -> list:
        def transmit(d: str):
            declaration, activity, _ = self.ids[d]
            data = DeclarationTransmittedV1(
                declaration_id=declaration, declaration_version=1, activity_id=activity, partner_id=self.partner,
                caf_code="080", family="alsh", nature="periscolaire", exercice=2026, declaration_type="reelle",
                transmitted_by=self.partner, transmitted_at=T0 + timedelta(minutes=20), snapshot_hash="0" * 64,
                figures={}, flagged_justified=[], revision=False,
            )  # fmt: skip
            return event(data, declaration, 5, time=T0 + timedelta(minutes=20))

        first = transmit("d1")
        return [first, first.model_copy(update={"id": uuid.uuid4()}), transmit("d2")]  # the second: a no-op

    async def state(self, runtime) -> dict[str, list[tuple]]:
        def name(value):
            return self.names.get(value, value)

        async with runtime.db.sessions() as session:
            copies = (await session.execute(sa.select(DeclarationCopy))).scalars().all()
            notices = (await session.execute(sa.select(Message))).scalars().all()
        return {
            "declarations": sorted(
                (name(c.declaration_id), c.version, c.ready, c.ready_at, c.outcome, c.outcome_order, name(c.partner_id))
                for c in copies
                if c.declaration_id in self.names
            ),
            "notices": sorted((name(m.user_id), m.kind, m.mail_state) for m in notices if m.user_id in self.names),
        }


async def play(runtime, batched: bool) -> tuple[list[str], dict[str, list[tuple]]]:
    scenario = Scenario()
    for e in scenario.setup():
        await deliver(runtime, e)
    await schedule.run_due(runtime)  # the opening reminders, pending in the mail outbox
    outcomes = []
    for events in (scenario.controlled(), scenario.transmitted()):
        if batched:
            outcomes += await deliver_batch(runtime, events)
        else:
            outcomes += [await deliver(runtime, e) for e in events]
    return outcomes, await scenario.state(runtime)


async def test_controls_and_transmissions_in_batches_end_as_one_by_one(make_settings):
    settings = make_settings("notification", schedule_check_seconds=3600.0, mail_poll_seconds=3600.0)
    async with running(settings) as runtime:
        runtime.clock = ManualClock(T0 + timedelta(hours=1))
        one_by_one, reference = await play(runtime, batched=False)
        batched, got = await play(runtime, batched=True)
    assert batched == one_by_one == ["handled", "stale", "handled", "handled", "handled", "stale", "handled"]
    assert got == reference
    [d1, d2] = reference["declarations"]
    assert d1[2:5] == (True, T0 + timedelta(minutes=5), "transmise")
    assert d2[2:5] == (True, T0 + timedelta(minutes=12), "transmise")
    reminders = [(kind, state) for _, kind, state in reference["notices"] if kind.startswith("rappel")]
    # d1's FDA was reminded (d2's form was filled: its approbateur, whom it has not, is next), cancelled at transmit
    assert reminders == [("rappel_ouverture", "cancelled")]
