"""Estimation's own tables (no other service reads them). Amounts are stored as decimal text: exact on every backend.

The schema itself is created by the alembic revisions (explicit, frozen operations), not from these models.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from afas_shared.db.types import UtcDateTime


class BaremeVersion(SQLModel, table=True):
    """The barème version of a family: +1 per change (its row serialises concurrent changes of a family)."""

    __tablename__ = "bareme_version"

    family: str = Field(primary_key=True, max_length=30)
    version: int
    changed_at: datetime = Field(sa_type=UtcDateTime())


class ParameterOverride(SQLModel, table=True):
    """A value set by a Caf paramétrage agent, over the packaged file: one row per (family, parameter, nature,
    applies_from); a later change on the same key replaces the row (the audit keeps every step)."""

    __tablename__ = "parameter_override"

    id: uuid.UUID = Field(primary_key=True)
    family: str = Field(max_length=30, index=True)
    parameter: str = Field(max_length=60)
    nature: str | None = Field(default=None, max_length=40)
    applies_from: date
    value: str = Field(max_length=40)
    provenance: str = Field(sa_type=sa.Text())
    version: int
    changed_by: uuid.UUID | None = None
    changed_at: datetime = Field(sa_type=UtcDateTime())


class ParameterChange(SQLModel, table=True):
    """Audit of every barème change: who, when, old → new, provenance and reason."""

    __tablename__ = "parameter_change"

    id: uuid.UUID = Field(primary_key=True)
    family: str = Field(max_length=30, index=True)
    parameter: str = Field(max_length=60)
    nature: str | None = Field(default=None, max_length=40)
    applies_from: date
    old_value: str | None = Field(default=None, max_length=40)
    old_since: date | None = None
    old_provenance: str | None = Field(default=None, sa_type=sa.Text())
    new_value: str = Field(max_length=40)
    provenance: str = Field(sa_type=sa.Text())
    reason: str | None = Field(default=None, sa_type=sa.Text())
    version: int
    changed_by: uuid.UUID | None = None
    changed_by_kind: str = Field(max_length=20)
    changed_by_caf: str | None = Field(default=None, max_length=3)
    changed_at: datetime = Field(sa_type=UtcDateTime())


class CafLocalParameter(SQLModel, table=True):
    """A value a Caf's paramétrage agent set for one of its local parameters (``domain.parameters.local``), kept
    apart from the national overrides: it applies to that Caf's estimates only."""

    __tablename__ = "caf_local_parameter"

    caf_code: str = Field(primary_key=True, max_length=3)
    family: str = Field(primary_key=True, max_length=30)
    parameter: str = Field(primary_key=True, max_length=60)
    applies_from: date = Field(primary_key=True)
    value: str = Field(max_length=40)
    provenance: str = Field(sa_type=sa.Text())  # structured provenance (JSON)
    changed_by: uuid.UUID | None = None
    changed_at: datetime = Field(sa_type=UtcDateTime())


class CafLocalVersion(SQLModel, table=True):
    """A Caf's local values' version (its local parameters, territories and assignments): +1 in the transaction of
    each change, so a replica's copy in memory is checked with one read (no row: version 0)."""

    __tablename__ = "caf_local_version"

    caf_code: str = Field(primary_key=True, max_length=3)
    version: int
    changed_at: datetime = Field(sa_type=UtcDateTime())


class CafLocalParameterChange(SQLModel, table=True):
    """Audit of every local parameter change: which Caf, who, when, old → new, provenance and reason."""

    __tablename__ = "caf_local_parameter_change"

    id: uuid.UUID = Field(primary_key=True)
    caf_code: str = Field(max_length=3, index=True)
    family: str = Field(max_length=30)
    parameter: str = Field(max_length=60)
    applies_from: date
    old_value: str | None = Field(default=None, max_length=40)
    new_value: str = Field(max_length=40)
    provenance: str = Field(sa_type=sa.Text())
    reason: str | None = Field(default=None, sa_type=sa.Text())
    changed_by: uuid.UUID | None = None
    changed_by_kind: str = Field(max_length=20)
    changed_at: datetime = Field(sa_type=UtcDateTime())


class DeclarationFigures(SQLModel, table=True):
    """Read model of the declarations' latest figures (``DeclarationFiguresUpdatedV1``): what a barème change
    re-estimates. Closed (never deleted) once validated or cancelled, so a late save cannot reopen it."""

    __tablename__ = "declaration_figures"
    __table_args__ = (sa.Index("ix_declaration_figures_family_open", "family", "open", "declaration_id"),)

    declaration_id: uuid.UUID = Field(primary_key=True)
    declaration_version: int
    figures_version: int
    activity_id: uuid.UUID = Field(index=True)
    partner_id: uuid.UUID
    caf_code: str = Field(max_length=3)
    family: str = Field(max_length=30)
    nature: str = Field(max_length=40)
    exercice: int
    declaration_type: str = Field(max_length=30)
    figures: str = Field(default="{}", sa_type=sa.Text())  # JSON {field: str}
    open: bool = True
    closed_as: str | None = Field(default=None, max_length=20)  # validee | annulee
    updated_at: datetime = Field(sa_type=UtcDateTime())


class DeclarationEstimate(SQLModel, table=True):
    """The stored estimate of an open declaration, with the barème it was computed with."""

    __tablename__ = "declaration_estimate"

    declaration_id: uuid.UUID = Field(primary_key=True)
    amount: str | None = Field(default=None, max_length=20)
    provisional: bool = False
    error: str | None = Field(default=None, sa_type=sa.Text())
    bareme_version: int
    bareme_fingerprint: str = Field(max_length=64)
    revision: int = 1  # +1 each time the amount changes: the aggregate version of estimate_revised
    computed_at: datetime = Field(sa_type=UtcDateTime())


class ReestimationJob(SQLModel, table=True):
    """The re-estimation a barème change asked for, processed in batches; ``cursor`` (the last declaration done)
    advances in the same transaction as each batch, so a restart resumes and never publishes twice."""

    __tablename__ = "reestimation_job"

    id: uuid.UUID = Field(primary_key=True)
    change_id: uuid.UUID
    family: str = Field(max_length=30)
    nature: str | None = Field(default=None, max_length=40)
    applies_from: date
    caf_code: str | None = Field(default=None, max_length=3)  # a local change: that Caf's declarations only
    cursor: uuid.UUID | None = None
    processed: int = 0
    revised: int = 0
    created_at: datetime = Field(sa_type=UtcDateTime())
    finished_at: datetime | None = Field(default=None, sa_type=UtcDateTime(), index=True)


class Entitlement(SQLModel, table=True):
    """The entitlement (droit) of a validated declaration, with its full explanation."""

    __tablename__ = "entitlement"

    declaration_id: uuid.UUID = Field(primary_key=True)
    declaration_version: int
    activity_id: uuid.UUID = Field(index=True)
    partner_id: uuid.UUID
    caf_code: str = Field(max_length=3)
    family: str = Field(max_length=30)
    nature: str = Field(max_length=40)
    exercice: int
    declaration_type: str = Field(max_length=30)
    amount: str | None = Field(default=None, max_length=20)
    provisional: bool = False
    error: str | None = Field(default=None, sa_type=sa.Text())
    explanation: str = Field(default="{}", sa_type=sa.Text())  # JSON, as the estimate request answers
    bareme_version: int
    bareme_fingerprint: str = Field(max_length=64)
    validated_at: datetime = Field(sa_type=UtcDateTime())
    computed_at: datetime = Field(sa_type=UtcDateTime())


class PaymentFact(SQLModel, table=True):
    """A validation that counts for payments: forecast, update (actualisée) or actual (réelle) of an exercice."""

    __tablename__ = "payment_fact"

    declaration_id: uuid.UUID = Field(primary_key=True)
    activity_id: uuid.UUID = Field(index=True)
    partner_id: uuid.UUID
    caf_code: str = Field(max_length=3)
    exercice: int
    kind: str = Field(max_length=20)  # forecast | update | actual
    entitlement: str = Field(max_length=20)
    validated_at: datetime = Field(sa_type=UtcDateTime())
    forecast_gap_justified: bool = False  # the instruction agent's explicit acceptance of a gap justification
    activity_opening_date: date | None = None  # from the validation's event; None for events before it was carried


class PublishedPayment(SQLModel, table=True):
    """A due payment already announced (``estimation.payment_scheduled.v1``): its key is published once."""

    __tablename__ = "published_payment"

    activity_id: uuid.UUID = Field(primary_key=True)
    payment_key: str = Field(primary_key=True, max_length=40)
    exercice: int
    kind: str = Field(max_length=20)
    amount: str = Field(max_length=20)
    due_date: date
    policy_id: str = Field(max_length=40)
    published_at: datetime = Field(sa_type=UtcDateTime())


class PriorPayment(SQLModel, table=True):
    """What the Caf paid for an activity's exercice before the platform (advances, balance), recorded by one of
    its agents: until it is, the balance of that exercice is « acomptes antérieurs non connus »."""

    __tablename__ = "prior_payment"

    activity_id: uuid.UUID = Field(primary_key=True)
    exercice: int = Field(primary_key=True)
    caf_code: str = Field(max_length=3)
    advances: str = Field(max_length=20)
    balance: str = Field(max_length=20)
    recorded_by: uuid.UUID | None = None
    recorded_at: datetime = Field(sa_type=UtcDateTime())


class PriorActualRecord(SQLModel, table=True):
    """The actual entitlement of an activity's exercice validated before the platform, recorded by one of its Caf's
    agents (who, when): the first advance of N + 2 rests on it (Caf du Nord, existing equipment) and the cap of
    N + 1 compares with it. Recorded once; an exercice validated on the platform supersedes it."""

    __tablename__ = "prior_actual"

    activity_id: uuid.UUID = Field(primary_key=True)
    exercice: int = Field(primary_key=True)
    caf_code: str = Field(max_length=3)
    entitlement: str = Field(max_length=20)
    forecast_entitlement: str | None = Field(default=None, max_length=20)  # its forecast, when known
    recorded_by: uuid.UUID | None = None
    recorded_at: datetime = Field(sa_type=UtcDateTime())


class CafPaymentPolicy(SQLModel, table=True):
    """The payment policy a Caf chose (a local rule, set by its paramétrage agents), over the shipped mapping."""

    __tablename__ = "caf_payment_policy"

    caf_code: str = Field(primary_key=True, max_length=3)
    policy_id: str = Field(max_length=40)
    version: int
    changed_by: uuid.UUID | None = None
    changed_at: datetime = Field(sa_type=UtcDateTime())


class CafPaymentPolicyChange(SQLModel, table=True):
    """Audit of a Caf's payment policy changes: who, when, old → new, why."""

    __tablename__ = "caf_payment_policy_change"

    id: uuid.UUID = Field(primary_key=True)
    caf_code: str = Field(max_length=3, index=True)
    old_policy_id: str = Field(max_length=40)
    new_policy_id: str = Field(max_length=40)
    reason: str | None = Field(default=None, sa_type=sa.Text())
    version: int
    changed_by: uuid.UUID | None = None
    changed_at: datetime = Field(sa_type=UtcDateTime())


class CafTerritory(SQLModel, table=True):
    """A territory a Caf's paramétrage agents defined for the PSU bonus territoire
    (``domain.parameters.territories``)."""

    __tablename__ = "caf_territory"

    caf_code: str = Field(primary_key=True, max_length=3)
    code: str = Field(primary_key=True, max_length=20)
    name: str = Field(max_length=120)
    changed_by: uuid.UUID | None = None
    changed_at: datetime = Field(sa_type=UtcDateTime())


class CafTerritoryAmount(SQLModel, table=True):
    """A territory's dated amount per new place (within the national range), with the Caf's decision as provenance."""

    __tablename__ = "caf_territory_amount"

    caf_code: str = Field(primary_key=True, max_length=3)
    territory_code: str = Field(primary_key=True, max_length=20)
    applies_from: date = Field(primary_key=True)
    value: str = Field(max_length=40)
    provenance: str = Field(sa_type=sa.Text())  # structured provenance (JSON)
    changed_by: uuid.UUID | None = None
    changed_at: datetime = Field(sa_type=UtcDateTime())


class ActivityTerritory(SQLModel, table=True):
    """The territory a Caf assigned one of its EAJE-PSU activities to."""

    __tablename__ = "activity_territory"

    activity_id: uuid.UUID = Field(primary_key=True)
    caf_code: str = Field(max_length=3, index=True)
    territory_code: str = Field(max_length=20)
    changed_by: uuid.UUID | None = None
    changed_at: datetime = Field(sa_type=UtcDateTime())


class CafTerritoryChange(SQLModel, table=True):
    """Audit of territories: an amount set (``montant``) or an activity assigned (``affectation``) — who, when,
    old → new, provenance and reason."""

    __tablename__ = "caf_territory_change"

    id: uuid.UUID = Field(primary_key=True)
    caf_code: str = Field(max_length=3, index=True)
    territory_code: str | None = Field(default=None, max_length=20)
    kind: str = Field(max_length=20)  # montant | affectation
    activity_id: uuid.UUID | None = None
    applies_from: date | None = None
    old_value: str | None = Field(default=None, max_length=120)
    new_value: str | None = Field(default=None, max_length=120)
    provenance: str | None = Field(default=None, sa_type=sa.Text())
    reason: str | None = Field(default=None, sa_type=sa.Text())
    changed_by: uuid.UUID | None = None
    changed_by_kind: str = Field(max_length=20)
    changed_at: datetime = Field(sa_type=UtcDateTime())
