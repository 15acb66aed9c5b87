"""CSV import of the catalogue: validated row by row, valid rows applied (in one transaction here, a batch at a time
in the background job of ``import_jobs``), a report of every rejected row; the IDEQU is the natural key, so
importing the same file twice, or resuming an interrupted import, never creates an activity twice."""

from __future__ import annotations

import base64
import binascii
import json
from collections import Counter
from typing import Any

import sqlalchemy as sa

from afas_habilitation.adapters.tables import Activity, KnownPartner, Site
from afas_habilitation.application.catalogue import activity_values, apply_changes, may_edit, registered
from afas_habilitation.domain.csv_rows import ActivityRow, parse_csv
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.contracts.limits import (
    CATALOGUE_IMPORT_PART_BYTES,
    CATALOGUE_IMPORT_REPORT_MAX_BYTES,
    CATALOGUE_IMPORT_TOO_LARGE,
)
from afas_shared.contracts.rpc.habilitation import ImportActivitiesRequestV1
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.runtime import ServiceRuntime

MAX_BYTES = CATALOGUE_IMPORT_PART_BYTES  # what one request carries; a larger file comes in parts (import_jobs)


def csv_text(request: ImportActivitiesRequestV1) -> str:
    """The file the gateway sent: base64 (``csv_base64``, its size on the bus is known) or plain text (``csv``)."""
    if request.csv_base64 is None:
        return request.csv or ""
    try:
        return base64.b64decode(request.csv_base64, validate=True).decode("utf-8-sig")
    except (binascii.Error, UnicodeDecodeError):
        raise RpcFailure("invalid", "Le fichier doit être encodé en UTF-8.", "csv") from None


CREATED, UPDATED, UNCHANGED, REJECTED = "creee", "modifiee", "inchangee", "rejetee"


async def import_csv(runtime: ServiceRuntime, caller: ForwardedCaller, text: str) -> dict[str, Any]:
    """A file of one request at most (``CATALOGUE_IMPORT_PART_BYTES``), in one transaction; a larger one is a
    background job (``import_jobs``)."""
    if caller.kind not in ("caf", "operator"):
        raise RpcFailure("forbidden", "L'import du catalogue est réservé aux agents de la Caf.")
    if len(text.encode()) > MAX_BYTES:
        raise RpcFailure("too_large", CATALOGUE_IMPORT_TOO_LARGE, "csv")
    rows, rejections = parse_csv(text)
    rejected = [{"ligne": r.line, "motif": r.reason} for r in rejections]
    async with runtime.unit_of_work() as uow:
        outcomes, refused = await apply_rows(uow, caller, rows)
    counted = Counter(outcomes.values())
    return _report(
        len(rows) + len(rejections), counted[CREATED], counted[UPDATED], counted[UNCHANGED], rejected + refused
    )


async def apply_rows(
    uow: UnitOfWork, caller: ForwardedCaller, rows: list[ActivityRow]
) -> tuple[dict[int, str], list[dict[str, Any]]]:
    """Store checked rows in ``uow``'s transaction: each IDEQU created, brought up to date or left as is, or the row
    refused (unknown partner, another Caf, another partner's IDEQU). Its outcome by line, and the refusals."""
    sirets = {row.partner_siret for row in rows}
    partners = {
        p.siret: p
        for p in (await uow.session.execute(sa.select(KnownPartner).where(KnownPartner.siret.in_(sirets)))).scalars()
    }
    keys = [row.facts.equipment_id for row in rows]
    existing = {
        a.equipment_id: a
        for a in (await uow.session.execute(sa.select(Activity).where(Activity.equipment_id.in_(keys)))).scalars()
    }
    outcomes: dict[int, str] = {}
    refused: list[dict[str, Any]] = []
    new: list[tuple[dict, list[dict]]] = []
    for row in rows:
        partner = partners.get(row.partner_siret)
        activity = existing.get(row.facts.equipment_id)
        motif = _refusal(caller, row, partner, activity)
        if motif is not None or partner is None:
            refused.append({"ligne": row.line, "motif": f"Ligne {row.line} : {motif}"})
            outcomes[row.line] = REJECTED
        elif activity is None:
            new.append(activity_values(partner, row.facts, partner.caf_code))
            outcomes[row.line] = CREATED
        else:
            outcomes[row.line] = UPDATED if await apply_changes(uow, activity, row.facts) else UNCHANGED
    if new:  # multi-row INSERTs (no ORM object per row: at 70,000 rows, building them cost more than storing them)
        # on the tables, not the ORM entities: no per-row ORM bookkeeping (the rows are plain values already)
        await uow.session.execute(sa.insert(Activity.__table__), [activity for activity, _ in new])
        if sites := [site for _, sites in new for site in sites]:
            await uow.session.execute(sa.insert(Site.__table__), sites)
        await uow.publish_all(registered(activity, sites) for activity, sites in new)
    return outcomes, refused


def _refusal(
    caller: ForwardedCaller, row: ActivityRow, partner: KnownPartner | None, activity: Activity | None
) -> str | None:
    if partner is None:
        return f"partenaire de SIRET {row.partner_siret} inconnu."
    if row.caf_code != partner.caf_code:
        return f"la Caf {row.caf_code} n'est pas la Caf du partenaire ({partner.caf_code})."
    if not may_edit(caller, partner.caf_code):
        return f"vous ne gérez pas le catalogue de la Caf {partner.caf_code}."
    if activity is not None and activity.partner_id != partner.partner_id:
        return f"l'IDEQU {row.facts.equipment_id} appartient à un autre partenaire."
    return None


def _report(read: int, created: int, updated: int, unchanged: int, rejected: list[dict]) -> dict[str, Any]:
    return {
        "lignes_lues": read,
        "creees": created,
        "modifiees": updated,
        "inchangees": unchanged,
        "rejets": _within_reply(sorted(rejected, key=lambda r: r["ligne"])),
    }


def _within_reply(rejected: list[dict]) -> list[dict]:
    """The rejected lines, cut short with a last line saying how many more when they would not fit in one reply."""
    size, kept = 0, []
    for rejection in rejected:
        size += len(json.dumps(rejection)) + 2
        if size > CATALOGUE_IMPORT_REPORT_MAX_BYTES:
            rest = len(rejected) - len(kept)
            last = kept[-1]["ligne"] if kept else 0
            motif = f"… et {rest} autres lignes rejetées, après la ligne {last} : corrigez celles-ci puis réimportez."
            return [*kept, {"ligne": last, "motif": motif}]
        kept.append(rejection)
    return kept
