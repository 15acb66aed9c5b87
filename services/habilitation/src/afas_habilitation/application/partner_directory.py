"""Habilitation's copy of the partners identity announced (name, SIRET, Caf, delegation).

Fed by three event types, each with its own consumer, so in any order: the identity (registration, update) and the
delegation (registration, delegation changed) each keep their own version, and an event that overtakes the
registration is kept until it arrives (``afas_shared.read_models.early_events``), never retried into a dead letter.
"""

from __future__ import annotations

import uuid

from afas_habilitation.adapters.tables import KnownPartner
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.identity import DelegationChangedV1, PartnerRegisteredV1, PartnerUpdatedV1
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.read_models import early_events
from afas_shared.read_models.versioned import apply_groups, apply_versioned


async def on_partner_registered(uow: UnitOfWork, envelope: Envelope[PartnerRegisteredV1]) -> None:
    p = envelope.data
    groups = {
        "version": {"name": p.name, "siret": p.siret, "caf_code": p.caf_code},
        "delegation_version": {"delegated": p.delegated},
    }
    await apply_groups(uow.session, KnownPartner, p.partner_id, envelope.aggregate_version, groups)
    handlers = {PartnerUpdatedV1.subject(): on_partner_updated, DelegationChangedV1.subject(): on_delegation_changed}
    await early_events.release(uow, _waiting_for(p.partner_id), handlers)


async def on_partner_updated(uow: UnitOfWork, envelope: Envelope[PartnerUpdatedV1]) -> None:
    p = envelope.data
    if await _kept_until_registered(uow, envelope):
        return
    values = {"name": p.name, "siret": p.siret, "caf_code": p.caf_code}
    await apply_versioned(uow.session, KnownPartner, p.partner_id, envelope.aggregate_version, values)


async def on_delegation_changed(uow: UnitOfWork, envelope: Envelope[DelegationChangedV1]) -> None:
    p = envelope.data
    if await _kept_until_registered(uow, envelope):
        return
    await apply_versioned(
        uow.session,
        KnownPartner,
        p.partner_id,
        envelope.aggregate_version,
        {"delegated": p.delegated},
        version_column="delegation_version",
    )


async def _kept_until_registered(uow: UnitOfWork, envelope: Envelope) -> bool:
    partner_id = envelope.data.partner_id
    if await uow.session.get(KnownPartner, partner_id) is not None:
        return False
    await early_events.keep(uow, envelope, _waiting_for(partner_id))
    return True


def _waiting_for(partner_id: uuid.UUID) -> str:
    return f"known_partner:{partner_id}"
