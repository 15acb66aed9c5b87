"""« Activités » a page at a time (issue 16): one query for the page's activities, one for their sites, one for the
count, whatever the catalogue's size (70,000 activities answered a page at a time, never a 503).

Keyset pagination in name order, as « Mes déclarations » does it: the page starts after (or, reading backward,
before) the (name, id) of the last row seen, which the database seeks in its index (migration 0007) instead of
skipping rows. The cursor is opaque: base64 of the list's name, the direction and that key.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from typing import Any

import sqlalchemy as sa

from afas_habilitation.adapters.tables import Activity, KnownPartner
from afas_habilitation.application.catalogue import sites_of_many, view
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.contracts.rpc.habilitation_jobs import ActivityPageRequestV1
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.runtime import ServiceRuntime

LIST = "activites"
FORWARD, BACKWARD = "apres", "avant"
BAD_CURSOR = "Curseur de pagination invalide : reprenez la liste depuis sa première page."


def encode(direction: str, name: str, activity_id: uuid.UUID) -> str:
    raw = json.dumps([LIST, direction, [name, str(activity_id)]], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(token: str) -> tuple[bool, str, uuid.UUID]:
    """(backward, name, id) of a cursor; one altered, truncated or of another list is a 422 naming it."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        listed, direction, (name, activity_id) = json.loads(raw)
        if listed != LIST or direction not in (FORWARD, BACKWARD) or not isinstance(name, str):
            raise ValueError(token)
        return direction == BACKWARD, name, uuid.UUID(str(activity_id))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise RpcFailure("invalid", BAD_CURSOR, "curseur") from None


def _visible(caller: ForwardedCaller, request: ActivityPageRequestV1) -> list[sa.ColumnElement[bool]]:
    where: list[sa.ColumnElement[bool]] = []
    if caller.kind == "caf":
        where.append(Activity.caf_code == caller.caf_code)
    elif caller.kind == "partner":
        where.append(Activity.partner_id == caller.partner_id)
    for column, value in (
        (Activity.partner_id, request.partner_id),
        (Activity.family, request.family),
        (Activity.nature, request.nature),
    ):
        if value:
            where.append(column == value)
    return where


async def page(runtime: ServiceRuntime, caller: ForwardedCaller, request: ActivityPageRequestV1) -> dict[str, Any]:
    settings = runtime.settings
    size = request.limit or settings.list_page_size  # type: ignore[attr-defined]
    if size > settings.list_page_max:  # type: ignore[attr-defined]
        raise RpcFailure(
            "invalid", f"La taille de page doit être comprise entre 1 et {settings.list_page_max}.", "limite"
        )  # type: ignore[attr-defined]
    where = _visible(caller, request)
    backward, key = False, None
    if request.cursor is not None:
        backward, *key = decode(request.cursor)
    query = sa.select(Activity, KnownPartner.name).join(
        KnownPartner, KnownPartner.partner_id == Activity.partner_id, isouter=True
    )
    query = query.where(*where)
    preceding = None
    if key:
        name, activity_id = key
        after = sa.tuple_(Activity.name, Activity.id) > sa.tuple_(
            sa.literal(name, Activity.name.type), sa.literal(activity_id, Activity.id.type)
        )
        before = sa.tuple_(Activity.name, Activity.id) < sa.tuple_(
            sa.literal(name, Activity.name.type), sa.literal(activity_id, Activity.id.type)
        )
        query = query.where(before if backward else after)
        preceding = sa.select(sa.func.count()).select_from(Activity).where(*where, before if backward else ~after)
    order = (Activity.name.desc(), Activity.id.desc()) if backward else (Activity.name, Activity.id)
    async with runtime.db.sessions() as session:
        total = int(await session.scalar(sa.select(sa.func.count()).select_from(Activity).where(*where)) or 0)
        ahead = int(await session.scalar(preceding) or 0) if preceding is not None else 0
        rows = (await session.execute(query.order_by(*order).limit(size + 1))).all()
        more, rows = len(rows) > size, list(rows[:size])
        if backward:
            rows.reverse()
        sites = await sites_of_many(session, [a.id for a, _ in rows])
    elements = [view(a, sites.get(a.id, []), partner) for a, partner in rows]
    start = (ahead - len(rows) + 1) if backward else ahead + 1
    has_next = bool(rows) and (True if backward else more)
    has_previous = bool(rows) and (more if backward else key is not None)
    first, last = (rows[0][0], rows[-1][0]) if rows else (None, None)
    return {
        "elements": elements,
        "total": total,
        "debut": start if rows else 0,
        "fin": start + len(rows) - 1 if rows else 0,
        "curseur_suivant": encode(FORWARD, last.name, last.id) if has_next and last else None,
        "curseur_precedent": encode(BACKWARD, first.name, first.id) if has_previous and first else None,
    }
