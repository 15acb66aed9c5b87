"""The ``Declaration`` aggregate kept in declaration's tables: built from its rows (``declaration``,
``declaration_form``, the current version's ``transmission``, the activity's copy), written back to them, and its
recorded events published through the unit of work — into the outbox, in the same transaction as the change."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import defer

from afas_declaration.adapters.tables import ActivityCopy, DeclarationForm
from afas_declaration.adapters.tables import Declaration as DeclarationRow
from afas_declaration.adapters.tables import Transmission as TransmissionRow
from afas_declaration.domain.declaration import Declaration
from afas_declaration.domain.declaration_parts import Form, Transmission
from afas_shared.contracts.declaration_states import DeclarationState as State
from afas_shared.messaging.unit_of_work import UnitOfWork

_ROWS_READ = "declaration_store.rows_read"


def from_rows(
    row: DeclarationRow,
    activity: ActivityCopy | None,
    forms: Sequence[DeclarationForm],
    transmission: TransmissionRow | None = None,
) -> Declaration:
    """The aggregate from its rows (no I/O: for a check on rows already read, too)."""
    return Declaration(
        id=row.id,
        campaign_id=row.campaign_id,
        activity_id=row.activity_id,
        partner_id=row.partner_id,
        caf_code=row.caf_code,
        exercice=row.exercice,
        declaration_type=row.declaration_type,
        family=activity.family if activity else "",
        nature=activity.nature if activity else "",
        activity_opening_date=activity.opening_date if activity else None,
        state=State(row.state),
        version=row.version,
        forms=[_form(f) for f in forms],
        controls=json.loads(row.controls),
        controlled_at=row.controlled_at,
        justifications=json.loads(row.justifications),
        complement=row.complement,
        refusal_reason=row.refusal_reason,
        transmission=_transmission(transmission) if transmission is not None else None,
    )


def _form(f: DeclarationForm) -> Form:
    return Form(
        id=f.id,
        kind=f.kind,
        site_id=f.site_id,
        site_name=f.site_name,
        requested=f.requested,
        state=State(f.state),
        values=json.loads(f.values),
        version=f.version,
        saved_by=f.saved_by,
        saved_by_name=f.saved_by_name,
        saved_at=f.saved_at,
        sent_back_comment=f.sent_back_comment,
        sent_back_by_name=f.sent_back_by_name,
    )


def _transmission(t: TransmissionRow) -> Transmission:
    return Transmission(
        id=t.id,
        version=t.version,
        snapshot_hash=t.hash,
        figures=json.loads(t.snapshot).get("chiffres", {}),
        signer_id=t.signer_id,
        signer_name=t.signer_name,
        transmitted_at=t.transmitted_at,
        decision=State(t.decision) if t.decision else None,
        decision_reason=t.decision_reason,
        decided_by=t.decided_by,
        decided_by_name=t.decided_by_name,
        decided_at=t.decided_at,
    )


async def load(session, declaration_id: uuid.UUID, *, for_update: bool = False) -> Declaration | None:
    """The aggregate, or None when there is no such declaration. ``for_update`` locks the declaration's row, then
    its forms' (always in this order, so that two transitions never wait for each other), and reads them afresh even
    when the session read them before the lock (a use case checks on the rows it read, then changes them)."""
    row = await session.get(DeclarationRow, declaration_id, with_for_update=for_update, populate_existing=for_update)
    if row is None:
        return None
    activity = await session.get(ActivityCopy, row.activity_id)
    query = (
        sa.select(DeclarationForm)
        .where(DeclarationForm.declaration_id == declaration_id)
        .order_by(DeclarationForm.kind, DeclarationForm.site_name)
    )
    if for_update:
        query = query.with_for_update().execution_options(populate_existing=True)
    forms = (await session.execute(query)).scalars().all()
    return await assembled(session, row, activity, forms)


async def assembled(
    session, row: DeclarationRow, activity: ActivityCopy | None, forms: Sequence[DeclarationForm]
) -> Declaration:
    """The aggregate from rows this session has read already (locked, for a change), with the transmitted version
    the Caf decides on when there is one: one unit of work reads once what it checks and what it changes."""
    # Held by the session until it closes: its identity map keeps unchanged rows only weakly, and ``save`` writes
    # the aggregate back over these very rows — a form the change left alone would otherwise be read again
    session.info.setdefault(_ROWS_READ, []).extend([row, *forms])
    transmission = None
    declaration_id = row.id
    if row.state == State.transmise:  # the Caf decides on the version it holds
        transmission = (
            await session.execute(
                sa.select(TransmissionRow)
                .options(defer(TransmissionRow.receipt))
                .where(TransmissionRow.declaration_id == declaration_id, TransmissionRow.version == row.version)
            )
        ).scalar_one_or_none()
    return from_rows(row, activity, forms, transmission)


def _json(current: str, value: Any) -> str:
    """``value`` as stored JSON, the stored text itself when unchanged (no needless write)."""
    return current if json.loads(current) == value else json.dumps(value, ensure_ascii=False)


async def save(uow: UnitOfWork, declaration: Declaration) -> None:
    """Write the aggregate back over the rows ``load`` read in this unit of work, and publish the events it recorded
    (each with the ``aggregate_version`` the aggregate gave it)."""
    session = uow.session
    row = await session.get(DeclarationRow, declaration.id)
    row.state, row.version = declaration.state.value, declaration.version
    row.controls = _json(row.controls, declaration.controls)
    row.controlled_at = declaration.controlled_at
    row.justifications = _json(row.justifications, declaration.justifications)
    row.complement, row.refusal_reason = declaration.complement, declaration.refusal_reason
    for form in declaration.forms:
        f = await session.get(DeclarationForm, form.id)
        f.state, f.values, f.version = form.state.value, _json(f.values, form.values), form.version
        f.saved_by, f.saved_by_name, f.saved_at = form.saved_by, form.saved_by_name, form.saved_at
        f.sent_back_comment, f.sent_back_by_name = form.sent_back_comment, form.sent_back_by_name
    t = declaration.transmission
    if t is not None and t.new:
        session.add(
            TransmissionRow(
                id=uuid.uuid4(),
                declaration_id=declaration.id,
                version=t.version,
                snapshot=t.snapshot,
                hash=t.snapshot_hash,
                signer_id=t.signer_id,
                signer_name=t.signer_name,
                transmitted_at=t.transmitted_at,
                receipt=t.receipt,
            )
        )
        t.new = False
    elif t is not None and t.id is not None:
        stored = await session.get(TransmissionRow, t.id)
        stored.decision = t.decision.value if t.decision else None
        stored.decision_reason, stored.decided_by = t.decision_reason, t.decided_by
        stored.decided_by_name, stored.decided_at = t.decided_by_name, t.decided_at
    # One multi-row INSERT for all of them (a save records two): a round trip each was most of what they cost
    await uow.publish_all((e.data, e.subject, e.aggregate_version) for e in declaration.pull_events())
