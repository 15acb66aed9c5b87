"""The set-based forms of ``permissions``' handlers of habilitation's grant events, for a consumer's batch (issue 16):
the batch's lines read by one query, the new ones inserted together at the commit; the same lines, and the same
events counted as no-ops, as the events one by one (``afas_shared.read_models.grant_lines``)."""

from __future__ import annotations

from collections.abc import Sequence

from afas_declaration.application.permissions import GRANT_LINES
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.habilitation import GrantEndedV1, GrantRejectedV1, GrantValidatedV1, RoleGrantedV1
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.read_models.grant_lines import Granted


async def on_roles_granted(uow: UnitOfWork, envelopes: Sequence[Envelope[RoleGrantedV1]]) -> list[bool]:
    granted = await GRANT_LINES.grant_all(uow.session, [e.data for e in envelopes])
    return [g is not Granted.REPLAYED for g in granted]


async def on_grants_decided(
    uow: UnitOfWork, envelopes: Sequence[Envelope[GrantValidatedV1 | GrantRejectedV1]]
) -> list[bool]:
    return [line is not None for line in await GRANT_LINES.decide_all(uow.session, [e.data for e in envelopes])]


async def on_grants_ended(uow: UnitOfWork, envelopes: Sequence[Envelope[GrantEndedV1]]) -> list[bool]:
    return [line is not None for line in await GRANT_LINES.end_all(uow.session, [e.data for e in envelopes])]
