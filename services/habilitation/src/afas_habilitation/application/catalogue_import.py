"""CSV import of the catalogue: validated row by row, valid rows applied in one transaction, a report
of every rejected row; the IDEQU is the natural key, so importing the same file twice changes nothing."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

import sqlalchemy as sa

from afas_habilitation.adapters.tables import Activity, KnownPartner
from afas_habilitation.application.catalogue import apply_changes, create, may_edit
from afas_habilitation.domain.csv_rows import parse_csv
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.contracts.limits import (
    CATALOGUE_IMPORT_MAX_BYTES,
    CATALOGUE_IMPORT_REPORT_MAX_BYTES,
    CATALOGUE_IMPORT_TOO_LARGE,
)
from afas_shared.contracts.rpc.habilitation import ImportActivitiesRequestV1
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.runtime import ServiceRuntime

MAX_BYTES = CATALOGUE_IMPORT_MAX_BYTES  # the gateway answers 413 above it; checked here too


def csv_text(request: ImportActivitiesRequestV1) -> str:
    """The file the gateway sent: base64 (``csv_base64``, its size on the bus is known) or plain text (``csv``)."""
    if request.csv_base64 is None:
        return request.csv or ""
    try:
        return base64.b64decode(request.csv_base64, validate=True).decode("utf-8-sig")
    except (binascii.Error, UnicodeDecodeError):
        raise RpcFailure("invalid", "Le fichier doit être encodé en UTF-8.", "csv") from None


async def import_csv(runtime: ServiceRuntime, caller: ForwardedCaller, text: str) -> dict[str, Any]:
    if caller.kind not in ("caf", "operator"):
        raise RpcFailure("forbidden", "L'import du catalogue est réservé aux agents de la Caf.")
    if len(text.encode()) > MAX_BYTES:
        raise RpcFailure("too_large", CATALOGUE_IMPORT_TOO_LARGE, "csv")
    rows, rejections = parse_csv(text)
    rejected = [{"ligne": r.line, "motif": r.reason} for r in rejections]
    created = updated = unchanged = 0
    async with runtime.unit_of_work() as uow:
        sirets = {row.partner_siret for row in rows}
        partners = {
            p.siret: p
            for p in (
                await uow.session.execute(sa.select(KnownPartner).where(KnownPartner.siret.in_(sirets)))
            ).scalars()
        }
        existing = {
            a.equipment_id: a
            for a in (
                await uow.session.execute(
                    sa.select(Activity).where(Activity.equipment_id.in_([row.facts.equipment_id for row in rows]))
                )
            ).scalars()
        }
        for row in rows:
            partner = partners.get(row.partner_siret)
            if partner is None:
                rejected.append(
                    {"ligne": row.line, "motif": f"Ligne {row.line} : partenaire de SIRET {row.partner_siret} inconnu."}
                )
                continue
            if row.caf_code != partner.caf_code:
                rejected.append(
                    {
                        "ligne": row.line,
                        "motif": f"Ligne {row.line} : la Caf {row.caf_code} n'est pas "
                        f"la Caf du partenaire ({partner.caf_code}).",
                    }
                )
                continue
            if not may_edit(caller, partner.caf_code):
                rejected.append(
                    {
                        "ligne": row.line,
                        "motif": f"Ligne {row.line} : vous ne gérez pas le catalogue de la Caf {partner.caf_code}.",
                    }
                )
                continue
            activity = existing.get(row.facts.equipment_id)
            if activity is None:
                existing[row.facts.equipment_id] = await create(uow, partner, row.facts, partner.caf_code)
                created += 1
            elif activity.partner_id != partner.partner_id:
                rejected.append(
                    {
                        "ligne": row.line,
                        "motif": f"Ligne {row.line} : l'IDEQU "
                        f"{row.facts.equipment_id} appartient à un autre partenaire.",
                    }
                )
            elif await apply_changes(uow, activity, row.facts):
                updated += 1
            else:
                unchanged += 1
    return _report(len(rows) + len(rejections), created, updated, unchanged, rejected)


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
