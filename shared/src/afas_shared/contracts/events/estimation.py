"""Events published by the estimation service: barème changes, revised estimates, entitlements, payments.

Amounts are euros as decimal strings with two places (``"40852.00"``); an indu is negative.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field

from afas_shared.contracts.envelope import EventData

DECLARATION_TYPES = "previsionnelle, actualisee_juin, actualisee_septembre or reelle"
AMOUNT = r"^-?\d+\.\d{2}$"


class _Estimation(EventData):
    producer = "estimation"
    version = 1


class BaremeChangedV1(_Estimation):
    """A Caf paramétrage agent (or the operator) changed a barème value; the open declarations of the family
    are re-estimated in the background. Subject: the family; ``aggregate_version``: the family's barème version."""

    event = "bareme_changed"

    change_id: uuid.UUID
    family: str
    parameter: str
    nature: str | None = Field(description="The nature whose own series changed; null: every nature.")
    applies_from: date
    old_value: str | None = Field(description="Value in force on applies_from before the change; null: none.")
    new_value: str = Field(description="Plain decimal, or true/false for a yes/no parameter.")
    provenance: str = Field(description="Where the value comes from (circular, date), shown with every estimate.")
    reason: str | None = None
    bareme_version: int = Field(ge=1)
    changed_by: uuid.UUID | None = Field(description="The agent; null for the platform operator.")
    changed_at: datetime


class EstimateRevisedV1(_Estimation):
    """A barème change moved the estimate of an open declaration (published only when the amount changed)."""

    event = "estimate_revised"

    declaration_id: uuid.UUID
    activity_id: uuid.UUID
    partner_id: uuid.UUID
    caf_code: str = Field(pattern=r"^\d{3}$")
    family: str
    exercice: int
    declaration_type: str = Field(description=DECLARATION_TYPES)
    old_amount: str | None = Field(pattern=AMOUNT, description="Null when no estimate could be computed before.")
    new_amount: str | None = Field(pattern=AMOUNT, description="Null when the estimate can no longer be computed.")
    provisional: bool = Field(description="A barème value of the exercice is not known yet (latest one applied).")
    bareme_version: int = Field(ge=0)


class EntitlementComputedV1(_Estimation):
    """The entitlement of a validated declaration, computed by the same rules as its estimates."""

    event = "entitlement_computed"

    declaration_id: uuid.UUID
    declaration_version: int
    activity_id: uuid.UUID
    partner_id: uuid.UUID
    caf_code: str = Field(pattern=r"^\d{3}$")
    family: str
    nature: str
    exercice: int
    declaration_type: str = Field(description=DECLARATION_TYPES)
    amount: str | None = Field(pattern=AMOUNT, description="Null when the validated figures cannot be computed.")
    provisional: bool
    error: str | None = Field(default=None, description="Why no amount could be computed (French).")
    bareme_version: int = Field(ge=0)
    bareme_fingerprint: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the effective barème.")
    computed_at: datetime


class PaymentScheduledV1(_Estimation):
    """A payment of an activity fell due under its Caf's payment policy (published once per payment key).
    Subject: the activity; ``aggregate_version`` counts the activity's published payments."""

    event = "payment_scheduled"

    activity_id: uuid.UUID
    partner_id: uuid.UUID
    caf_code: str = Field(pattern=r"^\d{3}$")
    exercice: int
    payment_key: str = Field(description="Stable key `<exercice>:<kind>:<n>` within the activity.")
    kind: str = Field(description="acompte_1, acompte_2, complement, solde or indu")
    number: int
    amount: str = Field(pattern=AMOUNT, description="Negative for an indu (the sum to recover).")
    due_date: date
    label: str
    trigger: str = Field(description="The validation that made it due (French).")
    explanation: str = Field(description="How the amount was computed (French).")
    policy_id: str
