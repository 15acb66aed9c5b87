"""Estimation's read model of the open declarations: their latest figures and stored estimate.

Fed by ``DeclarationFiguresUpdatedV1`` (every save; the newest ``aggregate_version``, as declaration published it,
wins: a stale or repeated event is a no-op) and closed by ``DeclarationValidatedV1`` / ``DeclarationCancelledV1``.
A closed row is kept, so a save overtaken by the validation cannot reopen it. Each accepted save re-computes the
stored estimate (no event: the declaration service showed it to the user already); barème changes re-estimate in
``reestimation``.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from afas_estimation.adapters.tables import DeclarationEstimate, DeclarationFigures
from afas_estimation.application.baremes import resolve
from afas_estimation.application.estimates import Outcome, outcome
from afas_estimation.application.local_parameters import localised
from afas_estimation.application.localised_baremes import LocalisedBaremes
from afas_estimation.domain.errors import EstimationError
from afas_shared.contracts.declaration_states import DeclarationState
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.declaration import (
    DeclarationCancelledV1,
    DeclarationFiguresUpdatedV1,
    DeclarationValidatedV1,
)
from afas_shared.messaging.unit_of_work import UnitOfWork
from afas_shared.read_models.versioned import stale

CLOSING = {
    DeclarationValidatedV1: DeclarationState.validee.value,
    DeclarationCancelledV1: DeclarationState.annulee.value,
}


def _facts(d) -> dict:
    return {
        "declaration_id": d.declaration_id,
        "declaration_version": d.declaration_version,
        "activity_id": d.activity_id,
        "partner_id": d.partner_id,
        "caf_code": d.caf_code,
        "family": d.family,
        "nature": d.nature,
        "exercice": d.exercice,
        "declaration_type": d.declaration_type,
    }


async def on_figures_updated(
    uow: UnitOfWork, envelope: Envelope[DeclarationFiguresUpdatedV1], baremes: LocalisedBaremes | None = None
) -> None:
    """``baremes``: the service's barèmes and Caf local values in memory (checked against their versions in this
    transaction), where reading them again for every save cost up to six queries and a fingerprint (issue 16)."""
    d = envelope.data
    now = envelope.time
    row = await uow.session.get(DeclarationFigures, d.declaration_id)
    if row is not None and (not row.open or row.figures_version >= envelope.aggregate_version):
        stale()  # counted: older than the figures held, or the declaration is closed
        return
    if row is None:
        row = DeclarationFigures(**_facts(d), figures_version=envelope.aggregate_version, updated_at=now)
    for name, value in _facts(d).items():
        setattr(row, name, value)
    row.figures_version, row.figures, row.updated_at = envelope.aggregate_version, json.dumps(d.figures), now
    uow.session.add(row)
    try:
        # the Caf's local parameters and the activity's territory, as for the instant estimate
        if baremes is not None:
            effective = await baremes.localised(uow.session, d.family, d.caf_code, d.activity_id)
        else:
            effective = await localised(uow.session, await resolve(uow.session, d.family), d.caf_code, d.activity_id)
    except EstimationError as exc:  # a family estimation does not know: stored as such, never retried
        found = Outcome(None, False, exc.message, None)
        version, print_ = 0, "0" * 64
    else:
        found = outcome(effective, d.nature, d.exercice, d.figures)
        version, print_ = effective.version, effective.fingerprint
    await store_estimate(uow.session, d.declaration_id, found, version, print_, now)


async def store_estimate(
    session: AsyncSession, declaration_id, found: Outcome, version: int, fingerprint: str, now: datetime
) -> DeclarationEstimate:
    stored = await session.get(DeclarationEstimate, declaration_id)
    if stored is None:
        stored = DeclarationEstimate(
            declaration_id=declaration_id, bareme_version=version, bareme_fingerprint=fingerprint, computed_at=now
        )
    elif stored.amount != found.amount:
        stored.revision += 1
    stored.amount, stored.provisional, stored.error = found.amount, found.provisional, found.error
    stored.bareme_version, stored.bareme_fingerprint, stored.computed_at = version, fingerprint, now
    session.add(stored)
    return stored


async def close(
    session: AsyncSession, event: DeclarationValidatedV1 | DeclarationCancelledV1, figures: dict, now: datetime
) -> None:
    """No more re-estimation for this declaration (a tombstone when its figures were never seen)."""
    row = await session.get(DeclarationFigures, event.declaration_id)
    if row is None:
        row = DeclarationFigures(**_facts(event), figures_version=0, figures=json.dumps(figures), updated_at=now)
    row.open, row.closed_as, row.updated_at = False, CLOSING[type(event)], now
    session.add(row)


async def on_cancelled(uow: UnitOfWork, envelope: Envelope[DeclarationCancelledV1]) -> None:
    await close(uow.session, envelope.data, {}, envelope.time)
