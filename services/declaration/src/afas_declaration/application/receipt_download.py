"""A transmitted version's PDF receipt downloaded (the last call of a deadline day's flow, issue 16): the version's
receipt, the declaration's activity and Caf, and the caller's lines on that activity today, read in one statement of
plain rows — where loading the declaration, its activity, campaign and forms, then the caller's lines, then the
version took six, none of which the answer needs but the rights."""

from __future__ import annotations

import uuid

import sqlalchemy as sa

from afas_declaration.adapters.tables import Declaration, Transmission
from afas_declaration.application import declaration_scope, receipts
from afas_declaration.application.errors import NotFound
from afas_declaration.application.permissions import (
    WHOLE_BUDGET_REFUSED,
    access_from_lines,
    acting_lines_of,
    remember,
    require,
)
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import paris_today
from afas_shared.runtime import ServiceRuntime

# The declaration and that version's row (none: the version was never transmitted), built once with bound
# parameters; the snapshot travels only while the receipt is still to render (the download renders it then)
_RECEIPT = (
    sa.select(
        Declaration.activity_id,
        Declaration.caf_code,
        Transmission.version,
        Transmission.receipt,
        sa.case((Transmission.receipt == receipts.PENDING, Transmission.snapshot), else_=sa.null()).label("snapshot"),
    )
    .select_from(Declaration)
    .outerjoin(
        Transmission,
        sa.and_(Transmission.declaration_id == Declaration.id, Transmission.version == sa.bindparam("number")),
    )
    .where(Declaration.id == sa.bindparam("declaration_id"))
)
# The same, carrying the lines of the partner's user ``user_id`` acting on ``today`` on the declaration's activity
_RECEIPT_WITH_LINES = _RECEIPT.add_columns(acting_lines_of(Declaration.activity_id).label("lines"))


async def receipt(runtime: ServiceRuntime, caller: ForwardedCaller, declaration_id: uuid.UUID, number: int) -> bytes:
    """The PDF receipt of a version: the whole declaration, so refused (403) to a provider of some sites only.
    Still being rendered: waited for a bounded time, then ``receipts.ReceiptPending``."""
    today = paris_today(runtime.clock.now())
    partner = caller.kind == "partner" and caller.user_id is not None
    values: dict[str, object] = {"declaration_id": declaration_id, "number": number}
    if partner:
        values |= {"user_id": caller.user_id, "today": today}
    async with declaration_scope.read_connection(runtime.db) as connection:  # plain rows, autocommit on PostgreSQL
        row = (await connection.execute(_RECEIPT_WITH_LINES if partner else _RECEIPT, values)).one_or_none()
    if row is None:
        raise NotFound("Déclaration inconnue.")
    access = access_from_lines(caller, {row.activity_id: row.lines if partner else None})
    remember(caller, today, row.activity_id, access)
    who = access.on(row)
    require(who.sees_anything, "Cette déclaration n'est pas dans votre périmètre.")
    require(who.full_view, WHOLE_BUDGET_REFUSED)
    if row.version is None:
        raise NotFound(f"Aucune version {number} transmise pour cette déclaration.")
    if row.receipt != receipts.PENDING:
        return row.receipt
    return await receipts.of(runtime).wait((declaration_id, number), row.snapshot)
