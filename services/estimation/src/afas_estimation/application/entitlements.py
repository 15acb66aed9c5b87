"""The entitlement of a validated declaration, then the payments it makes due.

On ``DeclarationValidatedV1``: the validated figures go through the same ``outcome`` as every estimate, with the
effective barème of the moment; the entitlement is stored with its explanation and published
(``estimation.entitlement_computed.v1``). A validated forecast, update or actual is a payment fact of the
activity; the schedule of the activity (``payments.publish_due``) then announces each newly due payment once.
A redelivered validation finds its entitlement already stored: nothing is computed or published twice.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from afas_estimation.adapters.tables import Entitlement, PaymentFact
from afas_estimation.application import declarations, payments
from afas_estimation.application.access import WholeActivityCheck, may_see
from afas_estimation.application.baremes import resolve
from afas_estimation.application.estimates import Outcome, explained, outcome
from afas_estimation.application.local_parameters import localised
from afas_estimation.domain.errors import EstimationError
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.declaration import DeclarationValidatedV1
from afas_shared.contracts.events.estimation import EntitlementComputedV1
from afas_shared.db.engine import Database
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.messaging.unit_of_work import UnitOfWork

FACT_KINDS = {
    "previsionnelle": "forecast",
    "actualisee_juin": "update",
    "actualisee_septembre": "update",
    "reelle": "actual",
}
NO_FINGERPRINT = "0" * 64


async def on_validated(uow: UnitOfWork, envelope: Envelope[DeclarationValidatedV1]) -> None:
    d = envelope.data
    session = uow.session
    now = envelope.time
    await declarations.close(session, d, d.figures, now)
    if await session.get(Entitlement, d.declaration_id) is None:
        try:
            effective = await localised(session, await resolve(session, d.family), d.caf_code, d.activity_id)
        except EstimationError as exc:
            found, version, print_, explanation = Outcome(None, False, exc.message, None), 0, NO_FINGERPRINT, {}
        else:
            found = outcome(effective, d.nature, d.exercice, d.figures)
            version, print_ = effective.version, effective.fingerprint
            explanation = explained(effective, found.result) if found.result is not None else {}
        session.add(
            Entitlement(
                declaration_id=d.declaration_id,
                declaration_version=d.declaration_version,
                activity_id=d.activity_id,
                partner_id=d.partner_id,
                caf_code=d.caf_code,
                family=d.family,
                nature=d.nature,
                exercice=d.exercice,
                declaration_type=d.declaration_type,
                amount=found.amount,
                provisional=found.provisional,
                error=found.error,
                explanation=json.dumps(explanation, ensure_ascii=False),
                bareme_version=version,
                bareme_fingerprint=print_,
                validated_at=d.validated_at,
                computed_at=now,
            )
        )
        uow.publish(
            EntitlementComputedV1(
                declaration_id=d.declaration_id,
                declaration_version=d.declaration_version,
                activity_id=d.activity_id,
                partner_id=d.partner_id,
                caf_code=d.caf_code,
                family=d.family,
                nature=d.nature,
                exercice=d.exercice,
                declaration_type=d.declaration_type,
                amount=found.amount,
                provisional=found.provisional,
                error=found.error,
                bareme_version=version,
                bareme_fingerprint=print_,
                computed_at=now,
            ),
            subject=str(d.declaration_id),
            aggregate_version=d.declaration_version,
        )
        kind = FACT_KINDS.get(d.declaration_type)
        if found.amount is not None and kind is not None:
            session.add(
                PaymentFact(
                    declaration_id=d.declaration_id,
                    activity_id=d.activity_id,
                    partner_id=d.partner_id,
                    caf_code=d.caf_code,
                    exercice=d.exercice,
                    kind=kind,
                    entitlement=found.amount,
                    validated_at=d.validated_at,
                    forecast_gap_justified=d.forecast_gap_justified,
                    activity_opening_date=d.activity_opening_date,
                )
            )
        await session.flush()
    await payments.publish_due(uow, d.activity_id, now)


def entitlement_json(e: Entitlement) -> dict[str, Any]:
    return {
        "declaration_id": str(e.declaration_id),
        "version_declaration": e.declaration_version,
        "activite_id": str(e.activity_id),
        "partenaire_id": str(e.partner_id),
        "caf": e.caf_code,
        "type_activite": e.family,
        "nature": e.nature,
        "exercice": e.exercice,
        "type_declaration": e.declaration_type,
        "montant": e.amount,
        "calculable": e.amount is not None,
        "provisoire": e.provisional,
        "erreur": e.error,
        "version_bareme": e.bareme_version,
        "empreinte_bareme": e.bareme_fingerprint,
        "valide_le": e.validated_at.isoformat(),
        "calcule_le": e.computed_at.isoformat(),
        "explication": json.loads(e.explanation),
    }


async def entitlement(
    db: Database, caller: ForwardedCaller, declaration_id: uuid.UUID, covers: WholeActivityCheck
) -> dict[str, Any]:
    async with db.sessions() as session:
        found = await session.get(Entitlement, declaration_id)
    if found is None:
        raise RpcFailure("not_found", "Aucun droit calculé pour cette déclaration : elle n'est pas encore validée.")
    if not (may_see(caller, found.caf_code, found.partner_id) and await covers(caller, found.activity_id)):
        raise RpcFailure("forbidden", "Ce droit concerne une déclaration que vous ne pouvez pas consulter.")
    return entitlement_json(found)
