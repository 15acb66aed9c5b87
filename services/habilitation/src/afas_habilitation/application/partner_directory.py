"""Habilitation's copy of the partners identity announced (name, SIRET, Caf, delegation)."""

from __future__ import annotations

from afas_habilitation.adapters.tables import KnownPartner
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.identity import DelegationChangedV1, PartnerRegisteredV1, PartnerUpdatedV1
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.read_models.versioned import stale


class PartnerNotYetKnown(LookupError):
    """An update overtook its registration (consumers of different subjects run independently): retried."""


async def on_partner_registered(uow: UnitOfWork, envelope: Envelope[PartnerRegisteredV1]) -> None:
    p = envelope.data
    row = await uow.session.get(KnownPartner, p.partner_id)
    if row is None:
        uow.session.add(
            KnownPartner(
                partner_id=p.partner_id,
                name=p.name,
                siret=p.siret,
                caf_code=p.caf_code,
                delegated=p.delegated,
                version=envelope.aggregate_version,
            )
        )
    else:
        stale()  # the registration is a partner's first version: anything held is as new or newer


async def on_partner_updated(uow: UnitOfWork, envelope: Envelope[PartnerUpdatedV1]) -> None:
    row = await _known(uow, envelope)
    if row.version < envelope.aggregate_version:
        p = envelope.data
        row.name, row.siret, row.caf_code, row.version = p.name, p.siret, p.caf_code, envelope.aggregate_version
    else:
        stale()


async def on_delegation_changed(uow: UnitOfWork, envelope: Envelope[DelegationChangedV1]) -> None:
    row = await _known(uow, envelope)
    if row.version < envelope.aggregate_version:
        row.delegated, row.version = envelope.data.delegated, envelope.aggregate_version
    else:
        stale()


async def _known(uow: UnitOfWork, envelope: Envelope) -> KnownPartner:
    row = await uow.session.get(KnownPartner, envelope.data.partner_id)
    if row is None:
        raise PartnerNotYetKnown(f"partner {envelope.data.partner_id} not registered here yet")
    return row
