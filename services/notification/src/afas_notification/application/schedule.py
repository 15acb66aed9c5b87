"""The durable reminder schedule: planned when a declaration is expected, handled when due, caught up after a stop.

Each declaration's stages (ouverture, J-15, J-3, J-1, J+1 by default) are rows of ``reminder_stage``. The planner
(``run_due``, every ``schedule_check_seconds`` and right at start) takes each declaration with due stages and, in one
transaction per declaration: marks the newest due stage ``done`` (older due ones ``skipped``, or all ``void`` when
the declaration is closed) and writes the messages to whoever must act next, each under the unique key
(recipient, declaration, kind). A crash before the commit leaves the stage waiting and no message; after it, the
stage is done and the messages are in the mail outbox: planning happens exactly once.
"""

from __future__ import annotations

import logging
import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from afas_notification.adapters.tables import (
    ActivityName,
    CafReminderSetting,
    DeclarationCopy,
    FormCopy,
    GrantCopy,
    Preference,
    ReminderStage,
)
from afas_notification.application import messages
from afas_notification.domain import reminders, templates
from afas_shared.clock import paris_today
from afas_shared.contracts.declaration_states import DeclarationState
from afas_shared.db.types import UtcDateTime
from afas_shared.read_models.grant_terms import acts
from afas_shared.read_models.user_directory import KnownUser
from afas_shared.runtime import ServiceRuntime

log = logging.getLogger(__name__)
# Once the Caf has it, nobody is reminded of the declaration
CLOSED_OUTCOMES = frozenset({DeclarationState.transmise, DeclarationState.validee})


async def caf_offsets(session: AsyncSession, settings, caf_code: str | None) -> tuple[tuple[int, ...], int]:
    own = await session.get(CafReminderSetting, caf_code) if caf_code else None
    if own is not None:
        return reminders.parse_offsets(own.offsets), own.overdue_days
    return reminders.parse_offsets(settings.reminder_offsets), settings.overdue_days


def opening_moment(now: datetime, hour: int) -> datetime:
    """A declaration that becomes available during the night is announced at the reminder hour, else at once."""
    return max(now, reminders.paris_moment(paris_today(now), hour))


async def plan(
    session: AsyncSession, settings, declaration: DeclarationCopy, available_at: datetime, only_after: datetime | None
) -> None:
    """Insert the declaration's stages (those already planned are kept as they are)."""
    offsets = await caf_offsets(session, settings, declaration.caf_code)
    await insert_stages(session, stage_rows(settings, declaration, available_at, only_after, offsets))


def stage_rows(
    settings, declaration: DeclarationCopy, available_at: datetime, only_after: datetime | None, offsets
) -> list[dict[str, Any]]:
    """The declaration's stages from its Caf's ``offsets`` (``caf_offsets``), as rows of ``reminder_stage``."""
    planned = reminders.stages(available_at, declaration.deadline, *offsets, settings.reminder_hour)
    return [
        {"declaration_id": declaration.declaration_id, "kind": s.kind, "due_at": s.due_at, "state": "waiting"}
        for s in planned
        if only_after is None or s.due_at > only_after
    ]


async def insert_stages(session: AsyncSession, rows: list[dict[str, Any]]) -> None:
    """Stages already planned are kept as they are (one statement for the rows of several declarations too)."""
    if rows:
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        await session.execute(dialect.insert(ReminderStage).values(rows).on_conflict_do_nothing())


async def replan_caf(session: AsyncSession, settings, caf_code: str, now: datetime) -> None:
    """After a Caf changed its offsets: future deadline stages of its open declarations follow the new ones."""
    declarations = (
        await session.execute(
            sa.select(DeclarationCopy).where(
                DeclarationCopy.caf_code == caf_code, DeclarationCopy.expected, sa.not_(DeclarationCopy.cancelled)
            )
        )
    ).scalars()
    for declaration in declarations:
        await session.execute(
            sa.delete(ReminderStage).where(
                ReminderStage.declaration_id == declaration.declaration_id,
                ReminderStage.state == "waiting",
                ReminderStage.kind != reminders.OPENING,
                ReminderStage.due_at > now,
            )
        )
        await plan(session, settings, declaration, now, only_after=now)


def is_closed(declaration: DeclarationCopy) -> bool:
    return declaration.cancelled or declaration.outcome in CLOSED_OUTCOMES


async def acting_lines(session: AsyncSession, activity_id: uuid.UUID, today: date) -> list[reminders.GrantState]:
    lines = (await session.execute(sa.select(GrantCopy).where(GrantCopy.activity_id == activity_id))).scalars()
    return [reminders.GrantState(g.user_id, g.role, g.site_id) for g in lines if acts(g, today)]


async def facts_of(session: AsyncSession, declaration: DeclarationCopy) -> templates.DeclarationFacts:
    activity = await session.get(ActivityName, declaration.activity_id)
    return templates.DeclarationFacts(
        declaration.declaration_type or "",
        declaration.exercice or 0,
        activity.name if activity else None,
        declaration.deadline or date.min,
    )


def declaration_link(settings, declaration_id: uuid.UUID) -> str:
    return f"{settings.public_base_url}/declarations/{declaration_id}"


async def run_due(runtime: ServiceRuntime) -> int:
    """Handle every due stage (catching up whatever came due while the service was down); returns messages written."""
    now = runtime.clock.now()
    async with runtime.db.sessions() as session:
        due = list(
            (
                await session.execute(
                    sa.select(ReminderStage.declaration_id)
                    .where(ReminderStage.state == "waiting", ReminderStage.due_at <= now)
                    .group_by(ReminderStage.declaration_id)
                )
            ).scalars()
        )
    written = 0
    for start in range(0, len(due), PLAN_BATCH):
        async with runtime.db.transaction() as session:
            written += await _handle_batch(session, runtime.settings, due[start : start + PLAN_BATCH], now)
    return written


# Declarations planned together, in one transaction: a handful of statements for all of them
PLAN_BATCH = 100
# Each stage handled, only if still waiting (executed once per stage's values)
_CLAIM = (
    sa.update(ReminderStage.__table__)
    .where(
        ReminderStage.__table__.c.declaration_id == sa.bindparam("b_declaration"),
        ReminderStage.__table__.c.kind == sa.bindparam("b_kind"),
        ReminderStage.__table__.c.state == "waiting",
    )
    .values(state=sa.bindparam("b_state"), handled_at=sa.bindparam("b_now", type_=UtcDateTime()))
)


async def _handle_batch(session: AsyncSession, settings, declaration_ids: list[uuid.UUID], now: datetime) -> int:
    """The due stages of these declarations: the newest due one ``done`` (older ones ``skipped``, all ``void`` once
    the declaration is closed), and the messages of every done stage, by one insert. On PostgreSQL the copies are
    locked first, skipping those another planner (a replica) holds: it handles them, and what it committed is read
    here, after the lock, as no longer waiting."""
    query = sa.select(DeclarationCopy).where(DeclarationCopy.declaration_id.in_(declaration_ids))
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    declarations = {d.declaration_id: d for d in (await session.execute(query)).scalars()}
    waiting: dict[uuid.UUID, list[reminders.Stage]] = {}
    stages = sa.select(ReminderStage.declaration_id, ReminderStage.kind, ReminderStage.due_at).where(
        ReminderStage.declaration_id.in_(list(declarations)),
        ReminderStage.state == "waiting",
        ReminderStage.due_at <= now,
    )
    for declaration_id, kind, due_at in await session.execute(stages):
        waiting.setdefault(declaration_id, []).append(reminders.Stage(due_at, kind))
    claims, current = [], {}
    for declaration_id, planned in waiting.items():
        closed = is_closed(declarations[declaration_id])
        latest, _older = reminders.latest_due(planned, now)
        assert latest is not None  # every stage read is due
        for stage in planned:
            state = "void" if closed else ("done" if stage.kind == latest.kind else "skipped")
            claims.append({"b_declaration": declaration_id, "b_kind": stage.kind, "b_state": state, "b_now": now})
        if not closed:
            current[declaration_id] = latest.kind
    if claims:
        await session.execute(_CLAIM, claims)
    rows = await _reminder_rows(session, settings, [(declarations[d], kind) for d, kind in current.items()], now)
    written = await messages.insert_rows(session, rows)
    if current:
        log.info("reminders of %d declaration(s): %d message(s)", len(current), written)
    return written


async def _reminder_rows(session: AsyncSession, settings, due: list[tuple[DeclarationCopy, str]], now: datetime):
    """The messages of each declaration's done stage to whoever must act next, their facts read together."""
    if not due:
        return []
    ids = [d.declaration_id for d, _ in due]
    activities = {d.activity_id for d, _ in due}
    forms: dict[uuid.UUID, list[reminders.FormState]] = {}
    for f in (await session.execute(sa.select(FormCopy).where(FormCopy.declaration_id.in_(ids)))).scalars():
        forms.setdefault(f.declaration_id, []).append(
            reminders.FormState(f.form_id, f.kind, f.site_id, f.requested, f.filled)
        )
    today, lines = paris_today(now), {}
    for g in (await session.execute(sa.select(GrantCopy).where(GrantCopy.activity_id.in_(activities)))).scalars():
        if acts(g, today):
            lines.setdefault(g.activity_id, []).append(reminders.GrantState(g.user_id, g.role, g.site_id))
    named = sa.select(ActivityName.activity_id, ActivityName.name).where(ActivityName.activity_id.in_(activities))
    names: dict[uuid.UUID, str] = {a: name for a, name in await session.execute(named)}
    actors = {
        d.declaration_id: reminders.who_must_act(
            False, d.ready, forms.get(d.declaration_id, []), lines.get(d.activity_id, [])
        )
        for d, _ in due
    }
    users = {user for of_one in actors.values() for user in of_one}
    first_names = sa.select(KnownUser.user_id, KnownUser.first_name).where(KnownUser.user_id.in_(users))
    known: dict[uuid.UUID, str] = {user: name for user, name in await session.execute(first_names)}
    preferences = {
        p.user_id: p
        for p in (await session.execute(sa.select(Preference).where(Preference.user_id.in_(users)))).scalars()
    }
    rows = []
    for declaration, kind in due:
        facts = templates.DeclarationFacts(
            declaration.declaration_type or "",
            declaration.exercice or 0,
            names.get(declaration.activity_id),
            declaration.deadline or date.min,
        )
        link = declaration_link(settings, declaration.declaration_id)
        for user_id, tasks in sorted(actors[declaration.declaration_id].items()):
            first_name = known[user_id] if user_id in known else templates.NAME_PLACEHOLDER  # as messages.first_name
            rendered = templates.reminder(kind, facts, tasks, first_name, link)
            rows.append(
                messages.row(
                    key=reminders.reminder_key(user_id, declaration.declaration_id, kind),
                    kind=f"rappel_{kind}",
                    rendered=rendered,
                    now=now,
                    sender=settings.mail_sender,
                    mail=messages.wanted(preferences.get(user_id), rendered.category),
                    user_id=user_id,
                    declaration_id=declaration.declaration_id,
                    link=link,
                )
            )
    return rows
