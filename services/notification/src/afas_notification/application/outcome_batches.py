"""The set-based forms of the controls' and the transmission's handlers, for a consumer's batch (issue 16).

Each reads the batch's declaration copies in one query (and, for the controls, when each one's forms last changed,
in one more), applies the events in stream order to those copies with the very rules of the one-by-one handlers
(``declarations.apply_controls``, ``declarations.apply_outcome``), and lets the commit write the copies together.
Several events of one declaration in a batch are applied one after the other, so the later one sees the earlier's
effect, and a stale or repeated one is the same counted no-op as alone.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from afas_notification.adapters.tables import FormCopy
from afas_notification.application import messages
from afas_notification.application.declarations import Copies, apply_controls, apply_outcome
from afas_shared.contracts.declaration_states import DeclarationState
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.declaration import DeclarationControlledV1, DeclarationTransmittedV1
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.runtime import ServiceRuntime


async def on_controls(
    runtime: ServiceRuntime, uow: UnitOfWork, envelopes: Sequence[Envelope[DeclarationControlledV1]]
) -> list[bool]:
    """``on_controlled`` for a batch: for each event whether it applied (False: stale, counted)."""
    copies = Copies(uow.session)
    await copies.load([e.data for e in envelopes])
    latest = await _latest_form_changes(uow, {e.data.declaration_id for e in envelopes})
    applied = []
    for envelope in envelopes:
        c = envelope.data
        declaration = copies.declaration(c.declaration_id, c.activity_id)
        applied.append(apply_controls(declaration, envelope, latest.get(c.declaration_id)))
    return applied


async def _latest_form_changes(uow: UnitOfWork, ids: set[uuid.UUID]) -> dict[uuid.UUID, datetime]:
    """When each declaration's forms last changed (a save or a send-back); the controls' events change no form."""
    query = (
        sa.select(FormCopy.declaration_id, sa.func.max(FormCopy.saved_at))
        .where(FormCopy.declaration_id.in_(ids))
        .group_by(FormCopy.declaration_id)
    )
    return {declaration_id: moment for declaration_id, moment in await uow.session.execute(query) if moment}


async def on_transmissions(
    runtime: ServiceRuntime, uow: UnitOfWork, envelopes: Sequence[Envelope[DeclarationTransmittedV1]]
) -> list[bool]:
    """``on_transmitted`` for a batch: the pending reminders of every declaration transmitted cancelled by one
    statement; for each event whether it applied."""
    copies = Copies(uow.session)
    await copies.load([e.data for e in envelopes])
    applied, left = [], set()
    for envelope in envelopes:
        t = envelope.data
        declaration = copies.declaration(t.declaration_id, t.activity_id)
        applied.append(apply_outcome(declaration, envelope, DeclarationState.transmise))
        if applied[-1]:
            # a revision's transmit may overtake the refusal that opened it: the version is known from it too
            declaration.version = max(declaration.version, t.declaration_version)
            left.add(t.declaration_id)
    await messages.cancel_pending_reminders_of(uow.session, left)
    return applied
