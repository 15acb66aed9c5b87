"""Unread messages of the secure thread (issue 19): per declaration and in total on the partner's home page, per
declaration in the Caf's instruction queue. One grouped query over the declarations the caller already sees."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlmodel import col

from afas_declaration.adapters.thread_tables import ThreadMessage
from afas_declaration.application import declaration_list
from afas_declaration.application.thread import CAF, PARTNER, unread_by
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.runtime import ServiceRuntime


async def unread_counts(
    runtime: ServiceRuntime, declaration_ids: Iterable[uuid.UUID | str], side: str
) -> dict[str, int]:
    """Declaration id → how many messages ``side`` has not read yet (declarations without any are absent)."""
    ids = [uuid.UUID(str(i)) for i in declaration_ids]
    if not ids:
        return {}
    query = (
        sa.select(ThreadMessage.declaration_id, sa.func.count())
        .where(col(ThreadMessage.declaration_id).in_(ids), unread_by(side))
        .group_by(col(ThreadMessage.declaration_id))
    )
    async with runtime.db.sessions() as session:
        return {str(d): n for d, n in (await session.execute(query)).all()}


async def for_caf(runtime: ServiceRuntime, declaration_ids: Iterable[uuid.UUID | str]) -> dict[str, int]:
    """The instruction queue's column: the partner's messages its Caf has not read yet."""
    return await unread_counts(runtime, declaration_ids, CAF)


async def for_partner(runtime: ServiceRuntime, caller: ForwardedCaller) -> dict[str, Any]:
    """The home page's box: each declaration the partner's user sees with the Caf's messages not read yet."""
    if caller.kind != "partner":
        return {"total": 0, "declarations": []}
    rows = await declaration_list.visible_to(runtime, caller)
    counts = await unread_counts(runtime, [r["id"] for r in rows], PARTNER)
    listed = [
        {
            "id": r["id"],
            "activite": r["activite"],
            "exercice": r["exercice"],
            "type_declaration": r["type_declaration"],
            "non_lus": counts[r["id"]],
            "lien": f"/declarations/{r['id']}/messages",
        }
        for r in rows
        if counts.get(r["id"])
    ]
    return {"total": sum(d["non_lus"] for d in listed), "declarations": listed}
