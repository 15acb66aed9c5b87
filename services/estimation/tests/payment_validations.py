"""What the entitlement and payment tests share: the actors, a validated declaration's event, an RPC as an actor."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.declaration import DeclarationValidatedV1
from afas_shared.testing.credentials import ask_as
from afas_shared.testing.eaje import PSU_FIGURES
from services.estimation.tests.wire import on_the_wire

PSU = PSU_FIGURES
PARTNER = uuid.uuid4()
ACTIVITY = uuid.uuid4()
OWN_USER = {"kind": "partner", "sub": str(uuid.uuid4()), "partner_id": str(PARTNER)}
OTHER_USER = {"kind": "partner", "sub": str(uuid.uuid4()), "partner_id": str(uuid.uuid4())}
CAF_92 = {"kind": "caf", "sub": str(uuid.uuid4()), "caf_code": "092", "caf_roles": ["lecture"]}
CAF_59 = {"kind": "caf", "sub": str(uuid.uuid4()), "caf_code": "059", "caf_roles": ["instruction"]}
CAF_92_INSTRUCTOR = {"kind": "caf", "sub": str(uuid.uuid4()), "caf_code": "092", "caf_roles": ["instruction"]}


# A provider of the same partner granted one site only: the declaration service says it does not cover the activity
SITE_PROVIDER = {"kind": "partner", "sub": str(uuid.uuid4()), "partner_id": str(PARTNER)}
# Users whose grants cover the whole activity, as declaration.rpc.may.v1 answers for consulter_montants
WHOLE_ACTIVITY = {(OWN_USER["sub"], str(ACTIVITY))}


async def ask(runtime, verb: str, actor: dict | None, **payload):
    return await ask_as(runtime, "estimation", verb, actor, **on_the_wire(verb, payload))


def validated(
    declaration_type: str,
    exercice: int,
    figures: dict,
    at: datetime,
    justified: bool = True,
    *,
    caf_code: str = "092",
    activity_id: uuid.UUID = ACTIVITY,
    opened: date | None = None,
) -> Envelope:
    data = DeclarationValidatedV1(
        declaration_id=uuid.uuid4(),
        declaration_version=1,
        activity_id=activity_id,
        partner_id=PARTNER,
        caf_code=caf_code,
        family="eaje_psu",
        nature="multi_accueil",
        exercice=exercice,
        declaration_type=declaration_type,
        validated_by=uuid.uuid4(),
        validated_at=at,
        snapshot_hash="a" * 64,
        figures=figures,
        forecast_gap_justified=justified,
        activity_opening_date=opened,
    )
    return Envelope.wrap(data, subject=str(data.declaration_id), aggregate_version=12, correlation_id="t")


def psu_hours(hours: int) -> dict:
    """PSU figures at 10 €/h (above the 9,22 €/h ceiling): entitlement 0,66 × 9,22 × hours − 20 000."""
    return {**PSU, "heures_realisees": str(hours), "heures_facturees": str(hours), "total_charges": str(hours * 10)}
