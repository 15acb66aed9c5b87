"""Events published by the habilitation service about the activity catalogue."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import Field

from afas_shared.contracts.envelope import ContractModel, EventData


class SiteV1(ContractModel):
    """A lieu d'implantation of an activity."""

    site_id: uuid.UUID
    name: str = Field(min_length=1, max_length=200)


class _Habilitation(EventData):
    producer = "habilitation"
    version = 1


class _ActivityState(_Habilitation):
    activity_id: uuid.UUID
    partner_id: uuid.UUID
    caf_code: str = Field(pattern=r"^\d{3}$")
    family: str = Field(description="PS family id, e.g. eaje_psu, alsh, laep.")
    nature: str = Field(description="Nature id within the family, e.g. periscolaire, multi_accueil.")
    name: str
    site_mode: str = Field(description="mono_lieu, multi_lieux_itinerant or multi_lieux_antennes.")
    sites: list[SiteV1] = Field(description="Its lieux d'implantation (one for a mono-lieu activity).")
    opening_date: date
    closing_date: date | None = None
    capacity: int | None = Field(default=None, description="Places (EAJE).")
    equipment_id: str | None = Field(default=None, description="IDEQU-like equipment id in the Caf's system.")
    afc_file: str | None = Field(default=None, description="N° de dossier AFC.")


class ActivityRegisteredV1(_ActivityState):
    """A Caf agent registered an activity (one by one or by CSV import)."""

    event = "activity_registered"


class ActivityUpdatedV1(_ActivityState):
    """An activity's data changed (full new state)."""

    event = "activity_updated"


class ActivityClosedV1(_Habilitation):
    """The activity closes on ``closing_date``: its grants end then."""

    event = "activity_closed"

    activity_id: uuid.UUID
    partner_id: uuid.UUID
    closing_date: date


class RoleGrantedV1(_Habilitation):
    """A declaration role was granted to a user on an activity (or one of its sites)."""

    event = "role_granted"

    grant_id: uuid.UUID = Field(description="One line of a grant: one role, one activity or site.")
    group_id: uuid.UUID = Field(description="The grant as the administrator made it (all its lines).")
    user_id: uuid.UUID
    partner_id: uuid.UUID
    role: str = Field(description="fda, fdf or approbateur.")
    activity_id: uuid.UUID
    site_id: uuid.UUID | None = None
    start_date: date
    end_date: date | None = None
    validation: str = Field(description="not_required, or pending for an approbateur until the Caf decides.")


class GrantValidatedV1(_Habilitation):
    """The Caf validated an approbateur: from now on it may act."""

    event = "grant_validated"

    grant_id: uuid.UUID
    user_id: uuid.UUID
    activity_id: uuid.UUID


class GrantRejectedV1(_Habilitation):
    """The Caf rejected an approbateur, with its reason."""

    event = "grant_rejected"

    grant_id: uuid.UUID
    user_id: uuid.UUID
    activity_id: uuid.UUID
    reason: str


class GrantEndedV1(_Habilitation):
    """A grant ended (by an administrator, or because the user or the activity closed): refuse its actions."""

    event = "grant_ended"

    grant_id: uuid.UUID
    user_id: uuid.UUID
    activity_id: uuid.UUID
    end_date: date
    reason: str = Field(description="ended, user_closed, user_suspended, left_declarer_group or activity_closed.")
