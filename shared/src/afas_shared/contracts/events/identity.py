"""Events published by the identity service. None carries a password, a password hash, a token or a one-time link."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import EmailStr, Field

from afas_shared.contracts.envelope import EventData

PartnerKind = Literal["commune", "epci", "association", "entreprise", "autre"]
ConventionKind = Literal["convention_acces", "contrat_service", "bulletin_adhesion"]
Group = Literal["AFAS-HABILITER", "AFAS-DECLARER"]
Mobility = Literal["sedentaire", "itinerant"]
CafCode = Field(pattern=r"^\d{3}$", description="Code of the Caf (three digits, e.g. 080 for the Somme).")


class _Identity(EventData):
    producer = "identity"
    version = 1


class UserCreatedV1(_Identity):
    """A partner or Caf user account was created. Carries no secret: activation travels separately."""

    event = "user_created"

    user_id: uuid.UUID = Field(description="Stable technical id of the user.")
    identifier: str = Field(pattern=r"^\d{9}$", description="Personal 9-digit login identifier.")
    last_name: str = Field(min_length=1, max_length=100, description="Nom.")
    first_name: str = Field(min_length=1, max_length=100, description="Prénom.")
    email: EmailStr = Field(description="Nominative mail address.")
    partner_id: uuid.UUID | None = Field(default=None, description="Partner the user belongs to; none for Caf staff.")
    caf_code: str | None = Field(default=None, pattern=r"^\d{3}$", description="Caf of a Caf agent; none for partners.")
    mobility: Mobility | None = Field(default=None, description="Sédentaire or itinérant.")
    opening_date: date | None = Field(default=None, description="First day the account may be used.")
    closing_date: date | None = Field(default=None, description="Last day the account may be used.")


class UserUpdatedV1(_Identity):
    """A user's civil or contact data, or its dates, changed (full new state of those fields)."""

    event = "user_updated"

    user_id: uuid.UUID
    last_name: str = Field(min_length=1, max_length=100)
    first_name: str = Field(min_length=1, max_length=100)
    email: EmailStr
    mobility: Mobility
    opening_date: date
    closing_date: date | None = None


class UserClosedV1(_Identity):
    """The account was closed: from ``closing_date`` it may no longer be used; its grants end."""

    event = "user_closed"

    user_id: uuid.UUID
    partner_id: uuid.UUID | None = None
    closing_date: date


class UserSuspendedV1(_Identity):
    """A Caf agent suspended the account; its sessions are revoked and its grants end."""

    event = "user_suspended"

    user_id: uuid.UUID
    partner_id: uuid.UUID | None = None
    reason: str = Field(max_length=500)


class UserReactivatedV1(_Identity):
    """A suspended account may be used again."""

    event = "user_reactivated"

    user_id: uuid.UUID
    partner_id: uuid.UUID | None = None


class GroupMembershipAddedV1(_Identity):
    """The user joined an AFAS group ("Ajouter au groupe") for the given dates."""

    event = "group_membership_added"

    user_id: uuid.UUID
    partner_id: uuid.UUID
    group: Group
    start_date: date
    end_date: date | None = None


class GroupMembershipRemovedV1(_Identity):
    """The user left an AFAS group (end date set); leaving AFAS-DECLARER ends the user's grants."""

    event = "group_membership_removed"

    user_id: uuid.UUID
    partner_id: uuid.UUID
    group: Group
    end_date: date


class PartnerRegisteredV1(_Identity):
    """A Caf agent registered a partner (organisme gestionnaire)."""

    event = "partner_registered"

    partner_id: uuid.UUID
    name: str = Field(description="Raison sociale.")
    siret: str = Field(pattern=r"^\d{14}$")
    kind: PartnerKind
    caf_code: str = CafCode
    delegated: bool = Field(description="True when the partner's administrators manage its users.")


class PartnerUpdatedV1(_Identity):
    """The partner's identity data changed (full new state)."""

    event = "partner_updated"

    partner_id: uuid.UUID
    name: str
    siret: str = Field(pattern=r"^\d{14}$")
    kind: PartnerKind
    caf_code: str = CafCode


class DelegationChangedV1(_Identity):
    """The Caf withdrew or restored the partner's delegated management of its users."""

    event = "delegation_changed"

    partner_id: uuid.UUID
    delegated: bool


class ConventionSignedV1(_Identity):
    """A convention between the partner and its Caf was signed."""

    event = "convention_signed"

    convention_id: uuid.UUID
    partner_id: uuid.UUID
    caf_code: str = CafCode
    kind: ConventionKind
    label: str
    opening_date: date
    closing_date: date | None = None


class ConventionClosedV1(_Identity):
    """A convention was closed (statut Fermé)."""

    event = "convention_closed"

    convention_id: uuid.UUID
    partner_id: uuid.UUID
    kind: ConventionKind
    closing_date: date


class SessionRevokedV1(_Identity):
    """A session ended before its time (logout, suspension, password or access change): refuse its tokens at once."""

    event = "session_revoked"

    session_id: uuid.UUID
    user_id: uuid.UUID
    reason: Literal["logout", "suspension", "password_change", "closure", "forced_password_change", "access_change"] = (
        Field(description="`access_change`: the user's groups or roles changed; its tokens would carry the old ones.")
    )
    expires_at: datetime = Field(description="When the session would have expired anyway; forget it after.")


# Withdrawn for security: `identity.activation_requested.v1` and `identity.password_reset_requested.v1` carried the
# one-time link itself, so anyone reading the stream (kept 30 days) could use it. They are no longer published, are
# purged from the identity stream at start, and have no contract any more: v2 carries a reference only.
WITHDRAWN_SUBJECTS = ("identity.activation_requested.v1", "identity.password_reset_requested.v1")


class _MailLinkRequested(_Identity):
    version = 2

    link_id: uuid.UUID = Field(
        description="Reference of the one-time link. Not a secret: the URL is obtained from identity when the mail "
        "is sent (`identity.rpc.mail_link.v1`, answered for the notification service only)."
    )
    user_id: uuid.UUID
    email: EmailStr
    first_name: str
    last_name: str
    expires_at: datetime = Field(description="When the link stops working.")


class ActivationRequestedV2(_MailLinkRequested):
    """A new account's single-use activation link is to be mailed. Carries its reference, never the link."""

    event = "activation_requested"

    identifier: str | None = Field(
        default=None,
        description="The 9-digit login identifier, told in the mail so the new user can log in alone. Not a "
        "secret (it names the account, like the email); absent from events published before it was added.",
    )


class PasswordResetRequestedV2(_MailLinkRequested):
    """A one-time password reset link is to be mailed. Carries its reference, never the link."""

    event = "password_reset_requested"


class PasswordChangedV1(_Identity):
    """The user's password changed (by the user, by reset, or at activation); the user is told by mail."""

    event = "password_changed"

    user_id: uuid.UUID
    email: EmailStr
    changed_at: datetime
