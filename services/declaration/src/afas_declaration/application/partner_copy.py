"""Declaration's copy of the partners identity announced: a receipt names its partner, and the Caf's instruction
queue lists its partners (the filter), without asking identity.

The copy is fed by identity's ``partner_registered`` and ``partner_updated`` events (versioned: a stale event never
overwrites a newer name), replayed from the stream's history when the consumer starts afresh."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from afas_declaration.adapters.tables import PartnerCopy
from afas_declaration.application.declaration_scope import read_connection
from afas_declaration.application.errors import Forbidden
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.identity import PartnerRegisteredV1, PartnerUpdatedV1
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.read_models.versioned import apply_versioned
from afas_shared.runtime import ServiceRuntime

_NAMES = sa.select(PartnerCopy.partner_id, PartnerCopy.name)


async def on_partner_state(uow: UnitOfWork, envelope: Envelope[PartnerRegisteredV1 | PartnerUpdatedV1]) -> None:
    p = envelope.data
    values = {"partner_id": p.partner_id, "name": p.name, "siret": p.siret, "caf_code": p.caf_code}
    await apply_versioned(uow.session, PartnerCopy, p.partner_id, envelope.aggregate_version, values)


async def names_for(runtime: ServiceRuntime, caller: ForwardedCaller) -> list[dict[str, str]]:
    """The partners a Caf agent may filter its queue by — its Caf's, as identity's ``list_partners`` answers them
    (the operator: all) — as ``id`` and ``raison_sociale``, by name."""
    if caller.kind == "caf" and caller.caf_code:
        query = _NAMES.where(PartnerCopy.caf_code == caller.caf_code)
    elif caller.kind == "operator":
        query = _NAMES
    else:
        raise Forbidden("Liste réservée aux agents de la Caf.")
    async with read_connection(runtime.db) as connection:
        rows: list[Any] = list((await connection.execute(query)).all())
    named = [{"id": str(row.partner_id), "raison_sociale": row.name} for row in rows]
    return sorted(named, key=lambda p: p["raison_sociale"].casefold())
