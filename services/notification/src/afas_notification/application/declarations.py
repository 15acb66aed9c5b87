"""Notification's copy of campaigns, declarations and their forms, fed by declaration's events.

Each event type has its own consumer, so events of one declaration may arrive out of order: every handler creates
what it needs, and outcomes — like a form's saves and send-backs — are ordered by the ``aggregate_version``
declaration published with them (its aggregate orders its events; here they are only compared), not by arrival.
The copy of a declaration is written by its forms' events too: they are handled
under the declaration's id (``form_events_key``), so they never interleave with the declaration's own events, and
whether it is ready is computed so that the order does not matter either: ready when the latest controls said so
and no form changed after them. A stale or repeated event is a counted no-op.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from afas_notification.adapters.tables import CampaignCopy, DeclarationCopy, FormCopy
from afas_notification.application import messages, schedule
from afas_notification.domain import reminders, templates
from afas_shared.clock import paris_today
from afas_shared.contracts.declaration_states import DeclarationState
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.declaration import (
    CampaignOpenedV1,
    DeclarationCancelledV1,
    DeclarationControlledV1,
    DeclarationExpectedV1,
    DeclarationRefusedV1,
    DeclarationTransmittedV1,
    DeclarationValidatedV1,
    FormSavedV1,
    FormSentBackV1,
)
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.read_models.versioned import stale
from afas_shared.runtime import ServiceRuntime


def form_events_key(envelope: Envelope[FormSavedV1 | FormSentBackV1]) -> str:
    """Forms' events are handled under their declaration's id: they write its copy (``ready``) too."""
    return str(envelope.data.declaration_id)


async def on_campaign_opened(runtime: ServiceRuntime, uow: UnitOfWork, envelope: Envelope[CampaignOpenedV1]) -> None:
    c = envelope.data
    if await uow.session.get(CampaignCopy, c.campaign_id) is not None:
        stale()  # a campaign opens once: a replay, a counted no-op
        return
    uow.session.add(
        CampaignCopy(
            campaign_id=c.campaign_id,
            caf_code=c.caf_code,
            family=c.family,
            exercice=c.exercice,
            declaration_type=c.declaration_type,
            opening_date=c.opening_date,
            deadline=c.deadline,
        )
    )


async def _declaration(session: AsyncSession, declaration_id: uuid.UUID, activity_id: uuid.UUID) -> DeclarationCopy:
    row = await session.get(DeclarationCopy, declaration_id)
    if row is None:
        row = DeclarationCopy(declaration_id=declaration_id, activity_id=activity_id)
        session.add(row)
    return row


async def _form(session: AsyncSession, form_id: uuid.UUID, declaration_id: uuid.UUID, kind: str, site_id) -> FormCopy:
    row = await session.get(FormCopy, form_id)
    if row is None:
        row = FormCopy(form_id=form_id, declaration_id=declaration_id, kind=kind, site_id=site_id)
        session.add(row)
    return row


async def on_declaration_expected(
    runtime: ServiceRuntime, uow: UnitOfWork, envelope: Envelope[DeclarationExpectedV1]
) -> None:
    """The declaration is available from now: its reminder stages are planned in this same transaction."""
    d = envelope.data
    row = await _declaration(uow.session, d.declaration_id, d.activity_id)
    row.campaign_id, row.partner_id, row.caf_code = d.campaign_id, d.partner_id, d.caf_code
    row.exercice, row.declaration_type, row.deadline, row.expected = d.exercice, d.declaration_type, d.deadline, True
    for f in d.forms:
        form = await _form(uow.session, f.form_id, d.declaration_id, f.kind, f.site_id)
        form.requested = f.requested
    await uow.session.flush()
    settings = runtime.settings
    available_at = schedule.opening_moment(runtime.clock.now(), settings.reminder_hour)
    await schedule.plan(uow.session, settings, row, available_at, only_after=None)


async def on_declarations_expected(
    runtime: ServiceRuntime, uow: UnitOfWork, envelopes: Sequence[Envelope[DeclarationExpectedV1]]
) -> list[bool]:
    """``on_declaration_expected`` for a consumer's batch (issue 16): the copies and forms read by two queries, each
    Caf's reminder days once, every declaration's stages planned by one insert; the same rows as one by one."""
    copies = Copies(uow.session)
    await copies.load([e.data for e in envelopes])
    settings, offsets = runtime.settings, {}
    stages = []
    for envelope in envelopes:
        d = envelope.data
        row = copies.declaration(d.declaration_id, d.activity_id)
        row.campaign_id, row.partner_id, row.caf_code = d.campaign_id, d.partner_id, d.caf_code
        row.exercice, row.declaration_type, row.deadline = d.exercice, d.declaration_type, d.deadline
        row.expected = True
        for f in d.forms:
            copies.form(f.form_id, d.declaration_id, f.kind, f.site_id).requested = f.requested
        if d.caf_code not in offsets:
            offsets[d.caf_code] = await schedule.caf_offsets(uow.session, settings, d.caf_code)
        available_at = schedule.opening_moment(runtime.clock.now(), settings.reminder_hour)
        stages += schedule.stage_rows(settings, row, available_at, None, offsets[d.caf_code])
    await uow.session.flush()
    await schedule.insert_stages(uow.session, stages)
    return [True] * len(envelopes)


async def on_forms_saved(
    runtime: ServiceRuntime, uow: UnitOfWork, envelopes: Sequence[Envelope[FormSavedV1]]
) -> list[bool]:
    """``on_form_saved`` for a consumer's batch (issue 16): the copies and forms read by two queries, written
    together at the commit; for each save whether it applied (False: older than what is held, counted)."""
    copies = Copies(uow.session)
    await copies.load([e.data for e in envelopes])
    applied = []
    for envelope in envelopes:
        f = envelope.data
        declaration = copies.declaration(f.declaration_id, f.activity_id)
        form = copies.form(f.form_id, f.declaration_id, f.kind, f.site_id)
        applied.append(envelope.aggregate_version > form.form_order)
        if applied[-1]:
            form.filled, form.form_version, form.saved_at = True, f.form_version, envelope.time
            form.form_order = envelope.aggregate_version
            _changed_after_controls(declaration, envelope.time)
    return applied


# The events whose batch forms read their declarations' copies together
_Named = DeclarationExpectedV1 | FormSavedV1 | DeclarationControlledV1 | DeclarationTransmittedV1


class Copies:
    """A batch's declaration copies and forms: read by one query each, created when absent, as ``_declaration`` and
    ``_form`` do for one event."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.declarations: dict[uuid.UUID, DeclarationCopy] = {}
        self.forms: dict[uuid.UUID, FormCopy] = {}

    async def load(self, events: Sequence[_Named]) -> None:
        ids = {e.declaration_id for e in events}
        form_ids = {f.form_id for e in events for f in getattr(e, "forms", ())} | {
            e.form_id for e in events if isinstance(e, FormSavedV1)
        }
        query = sa.select(DeclarationCopy).where(DeclarationCopy.declaration_id.in_(ids))
        self.declarations = {r.declaration_id: r for r in (await self.session.execute(query)).scalars()}
        if form_ids:  # the declaration's own events name no form
            query = sa.select(FormCopy).where(FormCopy.form_id.in_(form_ids))
            self.forms = {r.form_id: r for r in (await self.session.execute(query)).scalars()}

    def declaration(self, declaration_id: uuid.UUID, activity_id: uuid.UUID) -> DeclarationCopy:
        if (row := self.declarations.get(declaration_id)) is None:
            row = self.declarations[declaration_id] = DeclarationCopy(
                declaration_id=declaration_id, activity_id=activity_id
            )
            self.session.add(row)
        return row

    def form(self, form_id: uuid.UUID, declaration_id: uuid.UUID, kind: str, site_id) -> FormCopy:
        if (row := self.forms.get(form_id)) is None:
            row = self.forms[form_id] = FormCopy(
                form_id=form_id, declaration_id=declaration_id, kind=kind, site_id=site_id
            )
            self.session.add(row)
        return row


def _changed_after_controls(declaration: DeclarationCopy, moment) -> None:
    """A form changed after the controls calls for controlling again."""
    if declaration.ready and declaration.ready_at is not None and moment > declaration.ready_at:
        declaration.ready = False


async def on_form_saved(runtime: ServiceRuntime, uow: UnitOfWork, envelope: Envelope[FormSavedV1]) -> None:
    f = envelope.data
    declaration = await _declaration(uow.session, f.declaration_id, f.activity_id)
    form = await _form(uow.session, f.form_id, f.declaration_id, f.kind, f.site_id)
    if envelope.aggregate_version <= form.form_order:
        stale()  # this save, or a later one, or its send-back, is held already
        return
    form.filled, form.form_version, form.saved_at = True, f.form_version, envelope.time
    form.form_order = envelope.aggregate_version
    _changed_after_controls(declaration, envelope.time)


async def on_form_sent_back(runtime: ServiceRuntime, uow: UnitOfWork, envelope: Envelope[FormSentBackV1]) -> None:
    f = envelope.data
    declaration = await _declaration(uow.session, f.declaration_id, f.activity_id)
    form = await _form(uow.session, f.form_id, f.declaration_id, f.kind, f.site_id)
    if envelope.aggregate_version <= form.form_order:
        stale()  # sent back already, or saved again since
        return
    form.filled, form.form_order, form.saved_at = False, envelope.aggregate_version, envelope.time
    _changed_after_controls(declaration, envelope.time)


async def on_controlled(runtime: ServiceRuntime, uow: UnitOfWork, envelope: Envelope[DeclarationControlledV1]) -> None:
    c = envelope.data
    declaration = await _declaration(uow.session, c.declaration_id, c.activity_id)
    latest = await uow.session.execute(
        sa.select(sa.func.max(FormCopy.saved_at)).where(FormCopy.declaration_id == c.declaration_id)
    )
    if not apply_controls(declaration, envelope, latest.scalar()):
        stale()


def apply_controls(declaration: DeclarationCopy, envelope: Envelope[DeclarationControlledV1], latest_change) -> bool:
    """The controls' verdict on the copy, given when its forms last changed; False when stale (nothing changed)."""
    c = envelope.data
    if c.declaration_version < declaration.version:
        return False  # controls of a version the Caf already refused
    if declaration.ready_at is not None and envelope.time <= declaration.ready_at:
        return False  # these controls, or later ones, are held already
    changed_since = latest_change is not None and latest_change > envelope.time
    declaration.version, declaration.ready = c.declaration_version, c.ready and not changed_since
    declaration.ready_at = envelope.time
    return True


async def _outcome(session: AsyncSession, envelope: Envelope, outcome: DeclarationState) -> DeclarationCopy | None:
    """Record transmitted / refused / validated of a version unless a later event is already known."""
    data = envelope.data
    declaration = await _declaration(session, data.declaration_id, data.activity_id)
    if not apply_outcome(declaration, envelope, outcome):
        stale()
        return None
    return declaration


def apply_outcome(declaration: DeclarationCopy, envelope: Envelope, outcome: DeclarationState) -> bool:
    """``_outcome`` on a copy already read; False when a later event is known (only the facts are filled in)."""
    data = envelope.data
    declaration.partner_id = declaration.partner_id or data.partner_id
    declaration.caf_code = declaration.caf_code or data.caf_code
    declaration.exercice = declaration.exercice or data.exercice
    declaration.declaration_type = declaration.declaration_type or data.declaration_type
    if envelope.aggregate_version <= declaration.outcome_order:
        return False
    declaration.outcome, declaration.outcome_version = outcome.value, data.declaration_version
    declaration.outcome_order = envelope.aggregate_version
    return True


async def on_transmitted(
    runtime: ServiceRuntime, uow: UnitOfWork, envelope: Envelope[DeclarationTransmittedV1]
) -> None:
    declaration = await _outcome(uow.session, envelope, DeclarationState.transmise)
    if declaration:
        # a revision's transmit may overtake the refusal that opened it: the version is known from it too
        declaration.version = max(declaration.version, envelope.data.declaration_version)
        await messages.cancel_pending_reminders(uow.session, envelope.data.declaration_id)


async def on_validated(runtime: ServiceRuntime, uow: UnitOfWork, envelope: Envelope[DeclarationValidatedV1]) -> None:
    await _outcome(uow.session, envelope, DeclarationState.validee)


async def on_cancelled(runtime: ServiceRuntime, uow: UnitOfWork, envelope: Envelope[DeclarationCancelledV1]) -> None:
    d = envelope.data
    declaration = await _declaration(uow.session, d.declaration_id, d.activity_id)
    declaration.cancelled = True
    await messages.cancel_pending_reminders(uow.session, d.declaration_id)


async def on_refused(runtime: ServiceRuntime, uow: UnitOfWork, envelope: Envelope[DeclarationRefusedV1]) -> None:
    """The declaration comes back to the partner: its approbateur is told why, and reminders resume."""
    r = envelope.data
    declaration = await _outcome(uow.session, envelope, DeclarationState.refusee)
    if declaration is not None:
        declaration.version, declaration.ready, declaration.ready_at = r.declaration_version + 1, False, envelope.time
    else:
        # Overtaken (the revision's transmit handled first, after a restart) or replayed: the state stays as the later
        # event left it, but the refusal and its reason are still owed to the approbateur — once, by the notice's key
        declaration = await _declaration(uow.session, r.declaration_id, r.activity_id)
        declaration.version = max(declaration.version, r.declaration_version + 1)
    now = runtime.clock.now()
    lines = await schedule.acting_lines(uow.session, r.activity_id, paris_today(now))
    facts = await schedule.facts_of(uow.session, declaration)
    link = schedule.declaration_link(runtime.settings, r.declaration_id)
    for user_id in sorted({g.user_id for g in lines if g.role == "approbateur"}):
        await messages.enqueue(
            uow.session,
            key=reminders.notice_key("refus", f"{r.declaration_id}:v{r.declaration_version}", user_id),
            kind="refus_caf",
            rendered=templates.refused(facts, r.reason, await messages.first_name(uow.session, user_id), link),
            now=now,
            sender=runtime.settings.mail_sender,
            user_id=user_id,
            declaration_id=r.declaration_id,
            link=link,
        )


async def open_declarations_of(session: AsyncSession, activity_ids: list[uuid.UUID]) -> list[DeclarationCopy]:
    if not activity_ids:
        return []
    query = sa.select(DeclarationCopy).where(
        DeclarationCopy.activity_id.in_(activity_ids), DeclarationCopy.expected, sa.not_(DeclarationCopy.cancelled)
    )
    return list((await session.execute(query)).scalars())
