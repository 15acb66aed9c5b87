"""Events published by the declaration service about campaigns and declarations."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from afas_shared.contracts.envelope import EventData

DECLARATION_TYPES = "previsionnelle, actualisee_juin, actualisee_septembre or reelle"


class _Declaration(EventData):
    producer = "declaration"
    version = 1


class CampaignOpenedV1(_Declaration):
    """A Caf opened a campaign: the declarations of a PS family for an exercice and a type are expected."""

    event = "campaign_opened"

    campaign_id: uuid.UUID
    caf_code: str = Field(pattern=r"^\d{3}$")
    family: str
    exercice: int
    declaration_type: str = Field(description=DECLARATION_TYPES)
    opening_date: date
    deadline: date
    form_version: str = Field(description="Version of the form definitions the declarations use.")


class ExpectedFormV1(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    form_id: uuid.UUID
    kind: str = Field(description="activite or financier")
    site_id: uuid.UUID | None = Field(default=None, description="The site, for activity data declared per site.")
    requested: bool = Field(description="False when the form is « non demandé ».")


class DeclarationExpectedV1(_Declaration):
    """An activity's declaration is now expected, with the forms it needs."""

    event = "declaration_expected"

    declaration_id: uuid.UUID
    campaign_id: uuid.UUID
    activity_id: uuid.UUID
    partner_id: uuid.UUID
    caf_code: str = Field(pattern=r"^\d{3}$")
    exercice: int
    declaration_type: str = Field(description=DECLARATION_TYPES)
    deadline: date
    forms: list[ExpectedFormV1]


class FormSavedV1(_Declaration):
    """A provider or the approbateur saved a form (draft): values are in the declaration service only."""

    event = "form_saved"

    form_id: uuid.UUID
    declaration_id: uuid.UUID
    activity_id: uuid.UUID
    kind: str = Field(description="activite or financier")
    site_id: uuid.UUID | None = None
    form_version: int = Field(description="Version of the form after this save (optimistic locking).")
    saved_by: uuid.UUID
