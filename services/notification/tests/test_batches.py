"""Declaration's busiest events applied set-based in a batch (issue 16) end exactly as one by one: the same
copies of declarations and forms, the same reminder stages, the same events counted as no-ops. Both runs share
one service, on two sets of ids."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import sqlalchemy as sa

from afas_notification.adapters.tables import DeclarationCopy, FormCopy, GrantCopy, Message, ReminderStage
from afas_shared.clock import ManualClock
from afas_shared.contracts.events.declaration import DeclarationExpectedV1, ExpectedFormV1, FormSavedV1
from afas_shared.contracts.events.habilitation import GrantEndedV1, GrantRejectedV1, GrantValidatedV1, RoleGrantedV1
from afas_shared.testing.delivery import deliver, deliver_batch, event
from afas_shared.testing.fixtures import running

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def scenario():
    """Two declarations expected (one twice, under a new id), then their forms saved (one save older than the
    other of its form) — with fresh ids, and the names each id stands for."""
    names: dict[uuid.UUID, str] = {}

    def new(name: str) -> uuid.UUID:
        names[(value := uuid.uuid4())] = name
        return value

    partner, campaign = new("partner"), new("campaign")
    expected, saved = [], []
    for d in ("d1", "d2"):
        declaration, activity, form = new(d), new(f"{d}-activity"), new(f"{d}-form")
        data = DeclarationExpectedV1(
            declaration_id=declaration,
            campaign_id=campaign,
            activity_id=activity,
            partner_id=partner,
            caf_code="080",
            exercice=2026,
            declaration_type="reelle",
            deadline=date(2026, 5, 31),
            forms=[ExpectedFormV1(form_id=form, kind="activite", requested=True)],
        )
        expected.append(event(data, declaration, 1))
        for version in (3, 2):  # the later save first: the older one is a counted no-op
            save = FormSavedV1(
                form_id=form,
                declaration_id=declaration,
                activity_id=activity,
                kind="activite",
                form_version=version,
                saved_by=partner,
            )
            saved.append(event(save, declaration, version, time=T0 + timedelta(minutes=version)))
    expected.append(expected[0].model_copy(update={"id": uuid.uuid4()}))
    granted, validated, rejected, ended = [], [], [], []
    for g, role in (("g1", "approbateur"), ("g2", "fda"), ("g3", "approbateur")):
        grant, user, activity = new(g), new(f"{g}-user"), new(f"{g}-activity")
        data = RoleGrantedV1(
            grant_id=grant,
            group_id=grant,
            user_id=user,
            partner_id=partner,
            role=role,
            activity_id=activity,
            start_date=date(2026, 1, 1),
            validation="pending" if role == "approbateur" else "not_required",
        )
        granted.append(event(data, grant, 1))
        if g == "g1":
            decision = GrantValidatedV1(grant_id=grant, user_id=user, activity_id=activity)
            validated += [event(decision, grant, 2), event(decision, grant, 2)]  # the second: a counted no-op
        if g == "g3":
            refusal = GrantRejectedV1(grant_id=grant, user_id=user, activity_id=activity, reason="pièces manquantes")
            rejected += [event(refusal, grant, 2), event(refusal, grant, 2)]
        if g == "g2":
            end = GrantEndedV1(
                grant_id=grant, user_id=user, activity_id=activity, end_date=date(2026, 6, 30), reason="ended"
            )
            ended += [event(end, grant, 2), event(end, grant, 2)]
    granted.append(granted[0].model_copy(update={"id": uuid.uuid4()}))
    return names, expected + saved, granted, validated + rejected + ended


async def state(runtime, names) -> dict[str, list[tuple]]:
    def name(value):
        return names.get(value, value)

    async with runtime.db.sessions() as session:
        copies = (await session.execute(sa.select(DeclarationCopy))).scalars().all()
        forms = (await session.execute(sa.select(FormCopy))).scalars().all()
        stages = (await session.execute(sa.select(ReminderStage))).scalars().all()
        lines = (await session.execute(sa.select(GrantCopy))).scalars().all()
        notices = (await session.execute(sa.select(Message))).scalars().all()
    return {
        "lines": sorted(
            (name(g.grant_id), name(g.user_id), g.role, g.validation, g.end_date, g.ended)
            for g in lines
            if g.grant_id in names
        ),
        "notices": sorted(
            (name(m.user_id), m.kind, m.subject, m.body_text, m.mail_state) for m in notices if m.user_id in names
        ),
        "declarations": sorted(
            (name(c.declaration_id), name(c.activity_id), name(c.partner_id), c.expected, c.deadline, c.ready)
            for c in copies
            if c.declaration_id in names
        ),
        "forms": sorted(
            (name(f.form_id), name(f.declaration_id), f.requested, f.filled, f.form_version, f.form_order)
            for f in forms
            if f.form_id in names
        ),
        "stages": sorted(
            (name(s.declaration_id), s.kind, s.due_at, s.state) for s in stages if s.declaration_id in names
        ),
    }


async def test_the_busiest_events_in_batches_end_as_one_by_one(make_settings):
    async with running(make_settings("notification")) as runtime:
        runtime.clock = ManualClock(T0)  # the stages are planned from now: the same now for both runs
        names, declared, granted, validated = scenario()
        one_by_one = [await deliver(runtime, e) for e in declared + granted + validated]
        reference = await state(runtime, names)

        names, declared, granted, validated = scenario()
        expected, saved = declared[:3], declared[3:]
        batched = []
        for batch in (expected, saved, granted, validated[:2], validated[2:4], validated[4:]):
            batched += await deliver_batch(runtime, batch)  # validated, rejected, ended: one batch per event type
        got = await state(runtime, names)
    declarations = ["handled"] * 3 + ["handled", "stale", "handled", "stale"]
    grants = ["handled"] * 3 + ["stale"] + ["handled", "stale"] * 3
    assert batched == one_by_one == declarations + grants
    assert got == reference
    assert reference["stages"] and len(reference["declarations"]) == 2
    kinds = {"approbateur_en_attente", "role_accorde", "approbateur_valide", "approbateur_refuse", "role_fin"}
    assert {n[1] for n in reference["notices"]} == kinds
