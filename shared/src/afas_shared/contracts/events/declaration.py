"""Events published by the declaration service about campaigns and declarations."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from pydantic import Field

from afas_shared.contracts.envelope import ContractModel, EventData

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


class ExpectedFormV1(ContractModel):
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


class FormSentBackV1(_Declaration):
    """The approbateur sent a form back to its provider with a comment, to be corrected."""

    event = "form_sent_back"

    form_id: uuid.UUID
    declaration_id: uuid.UUID
    activity_id: uuid.UUID
    kind: str = Field(description="activite or financier")
    site_id: uuid.UUID | None = None
    comment: str
    sent_back_by: uuid.UUID


class DeclarationControlledV1(_Declaration):
    """The coherence controls ran on a declaration; ``ready`` when every requested form is filled and nothing blocks."""

    event = "declaration_controlled"

    declaration_id: uuid.UUID
    activity_id: uuid.UUID
    declaration_version: int = Field(description="Revision number of the declaration (1, then 2 after a refusal…).")
    blocking: int = Field(description="Blocking anomalies found.")
    flagged: int = Field(description="Flagged anomalies found (each must be justified before transmission).")
    ready: bool


class _DeclarationFacts(_Declaration):
    declaration_id: uuid.UUID
    declaration_version: int = Field(description="Revision number of the declaration (1, then 2 after a refusal…).")
    activity_id: uuid.UUID
    partner_id: uuid.UUID
    caf_code: str = Field(pattern=r"^\d{3}$")
    family: str
    nature: str
    exercice: int
    declaration_type: str = Field(description=DECLARATION_TYPES)


class DeclarationTransmittedV1(_DeclarationFacts):
    """The approbateur signed and transmitted a declaration: its snapshot is frozen under ``snapshot_hash``."""

    event = "declaration_transmitted"

    transmitted_by: uuid.UUID
    transmitted_at: datetime
    snapshot_hash: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the canonical JSON snapshot.")
    figures: dict[str, str] = Field(description="The declaration's aggregate figures, decimals as strings.")
    flagged_justified: list[str] = Field(description="Keys of the flagged controls justified by the approbateur.")
    estimate: str | None = Field(default=None, description="Estimated subsidy in euros at transmission, if known.")
    revision: bool = Field(description="True when this transmission revises a declaration the Caf refused.")


class DeclarationValidatedV1(_DeclarationFacts):
    """A Caf instruction agent validated the transmitted version: its figures are final for the entitlement."""

    event = "declaration_validated"

    validated_by: uuid.UUID | None
    validated_at: datetime
    snapshot_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    figures: dict[str, str]
    forecast_gap_justified: bool = Field(
        description="True only when the instruction agent explicitly accepted the partner's justification of a "
        "forecast/actual gap above 10 %. Whether there is such a gap is estimation's to compute (forecast N against "
        "actual N-1, or the forecast and actual of one exercice, per the Caf's payment policy): an unaccepted gap "
        "above 10 % caps the next advances."
    )
    activity_opening_date: date | None = Field(
        default=None,
        description="The activity's opening date (catalogue): estimation tells a new equipment (opened during the "
        "exercice or the one before) from an existing one for the payment policy. Absent from older events.",
    )


class DeclarationRefusedV1(_DeclarationFacts):
    """The Caf refused the transmitted version: it comes back to the partner as ``declaration_version + 1``."""

    event = "declaration_refused"

    refused_by: uuid.UUID | None
    refused_at: datetime
    reason: str


class DeclarationCancelledV1(_DeclarationFacts):
    """The Caf cancelled the declaration: nothing more is expected of it."""

    event = "declaration_cancelled"

    cancelled_by: uuid.UUID | None
    cancelled_at: datetime
    reason: str


class DeclarationFiguresUpdatedV1(_DeclarationFacts):
    """A save changed the declaration's aggregate figures (activity summed over sites + financial data): what
    estimation re-estimates when a barème changes. ``aggregate_version`` grows with every save."""

    event = "declaration_figures_updated"

    figures: dict[str, str] = Field(description="Aggregate figures, decimals as strings, booleans true/false.")
    activity_opening_date: date | None = Field(
        default=None,
        description="The activity's opening date (catalogue): estimation tells a new equipment (opened during the "
        "exercice or the one before) from an existing one for the payment policy. Absent from older events.",
    )


class CafDocumentPublishedV1(_Declaration):
    """An agent of the partner's Caf published a document to it (a notification de droit, a signed convention, a
    letter): what the partner is told by mail. The file itself stays in the declaration service, never on the bus."""

    event = "caf_document_published"

    document_id: uuid.UUID
    partner_id: uuid.UUID
    caf_code: str = Field(pattern=r"^\d{3}$")
    nature: str = Field(description="notification_droit, convention_signee or courrier", examples=["courrier"])
    title: str = Field(
        max_length=200,
        description="The title the agent gave it, as the partner's pages list it.",
        examples=["Notification de droit PSU 2026"],
    )
    activity_id: uuid.UUID | None = Field(default=None, description="The activity it concerns, when it has one.")
    exercice: int | None = Field(default=None, description="The exercice it concerns, when it has one.")
    published_by: uuid.UUID | None
    published_at: datetime
