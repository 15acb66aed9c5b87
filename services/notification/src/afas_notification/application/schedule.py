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
    ReminderStage,
)
from afas_notification.application import messages
from afas_notification.domain import reminders, templates
from afas_shared.clock import paris_today
from afas_shared.contracts.declaration_states import DeclarationState
from afas_shared.read_models.grant_terms import acts
from afas_shared.runtime import ServiceRuntime

log = logging.getLogger(__name__)
# Once the Caf has it, nobody is reminded of the declaration
CLOSED_OUTCOMES = frozenset({DeclarationState.transmise, DeclarationState.validee})


class _AlreadyHandled(Exception):
    """Another planner took this declaration first: roll back and move on."""


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


async def next_actors(session: AsyncSession, declaration: DeclarationCopy, today: date) -> dict[uuid.UUID, set[str]]:
    forms = (
        await session.execute(sa.select(FormCopy).where(FormCopy.declaration_id == declaration.declaration_id))
    ).scalars()
    states = [reminders.FormState(f.form_id, f.kind, f.site_id, f.requested, f.filled) for f in forms]
    lines = await acting_lines(session, declaration.activity_id, today)
    return reminders.who_must_act(is_closed(declaration), declaration.ready, states, lines)


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
    for declaration_id in due:
        try:
            async with runtime.db.transaction() as session:
                written += await _handle(session, runtime.settings, declaration_id, now)
        except _AlreadyHandled:
            continue
    return written


async def _handle(session: AsyncSession, settings, declaration_id: uuid.UUID, now: datetime) -> int:
    waiting = list(
        (
            await session.execute(
                sa.select(ReminderStage).where(
                    ReminderStage.declaration_id == declaration_id,
                    ReminderStage.state == "waiting",
                    ReminderStage.due_at <= now,
                )
            )
        ).scalars()
    )
    declaration = await session.get(DeclarationCopy, declaration_id)
    if not waiting or declaration is None:
        return 0
    closed = is_closed(declaration)
    current, _older = reminders.latest_due([reminders.Stage(s.due_at, s.kind) for s in waiting], now)
    for stage in waiting:
        state = "void" if closed else ("done" if stage.kind == current.kind else "skipped")
        # Conditional on still waiting: a second planner (another replica) finds nothing to claim and backs off.
        claimed = await session.execute(
            sa.update(ReminderStage)
            .where(
                ReminderStage.declaration_id == declaration_id,
                ReminderStage.kind == stage.kind,
                ReminderStage.state == "waiting",
            )
            .values(state=state, handled_at=now)
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount != 1:
            raise _AlreadyHandled(declaration_id)
    if closed:
        return 0
    actors = await next_actors(session, declaration, paris_today(now))
    facts = await facts_of(session, declaration)
    link = declaration_link(settings, declaration_id)
    written = 0
    for user_id, tasks in sorted(actors.items()):
        rendered = templates.reminder(current.kind, facts, tasks, await messages.first_name(session, user_id), link)
        written += await messages.enqueue(
            session,
            key=reminders.reminder_key(user_id, declaration_id, current.kind),
            kind=f"rappel_{current.kind}",
            rendered=rendered,
            now=now,
            sender=settings.mail_sender,
            user_id=user_id,
            declaration_id=declaration_id,
            link=link,
        )
    log.info("reminder %s of declaration %s: %d message(s)", current.kind, declaration_id, written)
    return written
