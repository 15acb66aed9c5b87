"""Declaration's copy of the partners identity announced: a receipt names its partner without asking identity."""

from __future__ import annotations

from afas_declaration.adapters.tables import PartnerCopy
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.identity import PartnerRegisteredV1, PartnerUpdatedV1
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.read_models.versioned import apply_versioned


async def on_partner_state(uow: UnitOfWork, envelope: Envelope[PartnerRegisteredV1 | PartnerUpdatedV1]) -> None:
    p = envelope.data
    values = {"partner_id": p.partner_id, "name": p.name, "siret": p.siret, "caf_code": p.caf_code}
    await apply_versioned(uow.session, PartnerCopy, p.partner_id, envelope.aggregate_version, values)
