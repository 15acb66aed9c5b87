"""Subject → contract model. The only place that lists every event the platform publishes."""

from __future__ import annotations

from afas_shared.contracts.envelope import READING, Envelope, EventData
from afas_shared.contracts.events import declaration, declaration_thread, estimation, habilitation, identity

CONTRACTS: tuple[type[EventData], ...] = (
    identity.UserCreatedV1,
    identity.UserUpdatedV1,
    identity.UserClosedV1,
    identity.UserSuspendedV1,
    identity.UserReactivatedV1,
    identity.GroupMembershipAddedV1,
    identity.GroupMembershipRemovedV1,
    identity.PartnerRegisteredV1,
    identity.PartnerUpdatedV1,
    identity.DelegationChangedV1,
    identity.ConventionSignedV1,
    identity.ConventionClosedV1,
    identity.SessionRevokedV1,
    identity.ActivationRequestedV2,
    identity.PasswordResetRequestedV2,
    identity.PasswordChangedV1,
    habilitation.ActivityRegisteredV1,
    habilitation.ActivityUpdatedV1,
    habilitation.ActivityClosedV1,
    habilitation.RoleGrantedV1,
    habilitation.GrantValidatedV1,
    habilitation.GrantRejectedV1,
    habilitation.GrantEndedV1,
    declaration.CampaignOpenedV1,
    declaration.DeclarationExpectedV1,
    declaration.FormSavedV1,
    declaration.FormSentBackV1,
    declaration.DeclarationControlledV1,
    declaration.DeclarationTransmittedV1,
    declaration.DeclarationValidatedV1,
    declaration.DeclarationRefusedV1,
    declaration.DeclarationCancelledV1,
    declaration.DeclarationFiguresUpdatedV1,
    declaration.CafDocumentPublishedV1,
    estimation.BaremeChangedV1,
    estimation.EstimateRevisedV1,
    estimation.EntitlementComputedV1,
    estimation.PaymentScheduledV1,
    declaration_thread.ThreadMessagePostedV1,
)

REGISTRY: dict[str, type[EventData]] = {c.subject(): c for c in CONTRACTS}


class UnknownEvent(LookupError):
    pass


def model_for(subject: str) -> type[EventData]:
    try:
        return REGISTRY[subject]
    except KeyError:
        raise UnknownEvent(f"no contract registered for subject {subject!r}") from None


def envelope_model(subject: str) -> type[Envelope]:
    return Envelope[model_for(subject)]  # type: ignore[misc,return-value]  # a model known at run time


def produced_by(producer: str) -> list[type[EventData]]:
    return [c for c in CONTRACTS if c.producer == producer]


def parse(subject: str, raw: bytes | str) -> Envelope:
    """A consumer's reading of an event: fields unknown to this version of the contract are ignored."""
    return envelope_model(subject).model_validate_json(raw, context={READING: True})
