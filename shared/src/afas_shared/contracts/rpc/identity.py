"""identity's requests and verbs: sessions, passwords, partners, conventions, users and groups.

Its replies are in ``identity_replies``, each the reply model of the public route passing it through.

Field names are the public API's (``/api/v1/…``); the attribute keeps identity's name where it differs.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Literal

from pydantic import EmailStr, Field

from afas_shared.contracts.rpc.base import Empty, RpcContract, RpcRequest
from afas_shared.contracts.rpc.identity_replies import (
    AuditEntryV1,
    CafV1,
    ConventionV1,
    DemoSeededV1,
    ErasedUserV1,
    IdentifierV1,
    JwksV1,
    MailLinkV1,
    MembershipV1,
    PartnerV1,
    RemovedMembershipV1,
    SessionTokenV1,
    SigningKeyV1,
    UserV1,
    WhoAmIV1,
)

ConventionKind = Literal["convention_acces", "contrat_service", "bulletin_adhesion"]
PartnerKind = Literal["commune", "epci", "association", "entreprise", "autre"]
CafRole = Literal["habilitations", "instruction", "parametrage", "lecture", "parametrage_national"]
Group = Literal["AFAS-HABILITER", "AFAS-DECLARER"]


# --- sessions and passwords -----------------------------------------------------------------------


class LoginRequestV1(RpcRequest):
    identifier: str = Field(default="", alias="identifiant")
    password: str = Field(default="", alias="mot_de_passe")
    address: str | None = None  # the client's address, for the per-address throttling


class OperatorSessionRequestV1(RpcRequest):
    token: str = ""  # the operator's bootstrap secret (gateway only), exchanged for a signed token


class NewPasswordRequestV1(RpcRequest):
    """Activation and reset: the one-time link's token and the password chosen twice."""

    token: str = Field(default="", alias="jeton")
    password: str = Field(default="", alias="mot_de_passe")
    password_confirmation: str = Field(default="", alias="confirmation")


class PasswordChangeRequestV1(RpcRequest):
    current_password: str = Field(default="", alias="mot_de_passe_actuel")
    password: str = Field(default="", alias="mot_de_passe")
    password_confirmation: str = Field(default="", alias="confirmation")


class ResetRequestV1(RpcRequest):
    identifier: str = Field(default="", alias="identifiant")


class MailLinkRequestV1(RpcRequest):
    """For the notification service: the URL of a one-time link, composed when it mails it."""

    link_id: str = ""
    kind: str = ""


# --- reference data, partners and conventions ---------------------------------------------------


class PartnerFieldsV1(RpcRequest):
    name: str = Field(min_length=1, max_length=200, alias="raison_sociale")
    siret: str
    kind: PartnerKind = Field(alias="type")
    caf_code: str = Field(alias="caf")
    delegated: bool = Field(default=True, alias="gestion_deleguee")


class PartnerIdRequestV1(RpcRequest):
    partner_id: uuid.UUID


class UpdatePartnerRequestV1(PartnerFieldsV1):
    partner_id: uuid.UUID


class DelegationRequestV1(RpcRequest):
    partner_id: uuid.UUID
    delegated: bool = Field(alias="gestion_deleguee")


class ConventionFieldsV1(RpcRequest):
    kind: ConventionKind = Field(alias="type")
    label: str | None = Field(default=None, max_length=200, alias="libelle")
    opening_date: date = Field(alias="date_ouverture")
    closing_date: date | None = Field(default=None, alias="date_fermeture")


class SignConventionRequestV1(ConventionFieldsV1):
    partner_id: uuid.UUID


class CloseConventionRequestV1(RpcRequest):
    convention_id: uuid.UUID
    closing_date: date | None = Field(default=None, alias="date_fermeture")


class ConventionFiltersV1(RpcRequest):
    """ "Consulter les conventions": every filter optional."""

    label: str | None = Field(default=None, alias="libelle")
    kind: ConventionKind | None = Field(default=None, alias="type")
    status: Literal["ouvert", "ferme"] | None = Field(default=None, alias="statut")
    partner_id: uuid.UUID | None = Field(default=None, alias="partenaire")
    state: Literal["valable", "non_valable"] | None = Field(default=None, alias="etat")


# --- users and groups ---------------------------------------------------------------------------


class UserFieldsV1(RpcRequest):
    last_name: str = Field(min_length=1, max_length=100, alias="nom")
    first_name: str = Field(min_length=1, max_length=100, alias="prenom")
    email: EmailStr
    email_confirmation: str
    phone: str | None = Field(default=None, alias="telephone")
    phone_confirmation: str | None = Field(default=None, alias="telephone_confirmation")
    mobility: Literal["sedentaire", "itinerant"] = Field(default="sedentaire", alias="mobilite")
    opening_date: date | None = Field(default=None, alias="date_ouverture")
    closing_date: date | None = Field(default=None, alias="date_fermeture")


class CafAgentFieldsV1(UserFieldsV1):
    caf_roles: list[CafRole] = Field(min_length=1, alias="roles_caf")


class CreateUserRequestV1(UserFieldsV1):
    partner_id: uuid.UUID


class CreateCafAgentRequestV1(CafAgentFieldsV1):
    caf_code: str = Field(default="", alias="caf")


class UpdateUserRequestV1(UserFieldsV1):
    user_id: uuid.UUID


class UserIdRequestV1(RpcRequest):
    user_id: uuid.UUID


class CloseUserRequestV1(UserIdRequestV1):
    closing_date: date | None = Field(default=None, alias="date_fermeture")


class SuspendUserRequestV1(UserIdRequestV1):
    multiline_fields = frozenset({"reason"})  # typed in a textarea: line breaks allowed
    reason: str = Field(default="", alias="motif")


class MembershipFieldsV1(RpcRequest):
    group: Group = Field(alias="groupe")
    start_date: date | None = Field(default=None, alias="date_debut")
    end_date: date | None = Field(default=None, alias="date_fin")


class AddToGroupRequestV1(MembershipFieldsV1):
    user_id: uuid.UUID


class RemoveFromGroupRequestV1(UserIdRequestV1):
    group: str = Field(default="", alias="groupe")
    end_date: date | None = Field(default=None, alias="date_fin")


def _contracts() -> tuple[RpcContract, ...]:
    def c(verb: str, request: type[RpcRequest], reply: Any) -> RpcContract:
        return RpcContract("identity", verb, request, reply)

    return (
        c("jwks", Empty, JwksV1),
        c("rotate_signing_key", Empty, SigningKeyV1),
        c("login", LoginRequestV1, SessionTokenV1),
        c("refresh", Empty, SessionTokenV1),
        c("logout", Empty, None),
        c("whoami", Empty, WhoAmIV1),
        c("operator_session", OperatorSessionRequestV1, SessionTokenV1),
        c("activate", NewPasswordRequestV1, IdentifierV1),
        c("change_password", PasswordChangeRequestV1, SessionTokenV1),
        c("request_password_reset", ResetRequestV1, None),
        c("reset_password", NewPasswordRequestV1, IdentifierV1),
        c("mail_link", MailLinkRequestV1, MailLinkV1),
        c("list_cafs", Empty, list[CafV1]),
        c("register_partner", PartnerFieldsV1, PartnerV1),
        c("update_partner", UpdatePartnerRequestV1, PartnerV1),
        c("change_delegation", DelegationRequestV1, PartnerV1),
        c("list_partners", Empty, list[PartnerV1]),
        c("get_partner", PartnerIdRequestV1, PartnerV1),
        c("audit_trail", PartnerIdRequestV1, list[AuditEntryV1]),
        c("record_partner_export", PartnerIdRequestV1, AuditEntryV1),
        c("sign_convention", SignConventionRequestV1, ConventionV1),
        c("close_convention", CloseConventionRequestV1, ConventionV1),
        c("search_conventions", ConventionFiltersV1, list[ConventionV1]),
        c("create_user", CreateUserRequestV1, UserV1),
        c("create_caf_agent", CreateCafAgentRequestV1, UserV1),
        c("update_user", UpdateUserRequestV1, UserV1),
        c("close_user", CloseUserRequestV1, UserV1),
        c("erase_personal_data", UserIdRequestV1, ErasedUserV1),
        c("suspend_user", SuspendUserRequestV1, UserV1),
        c("reactivate_user", UserIdRequestV1, UserV1),
        c("force_password_change", UserIdRequestV1, UserV1),
        c("list_users", PartnerIdRequestV1, list[UserV1]),
        c("add_to_group", AddToGroupRequestV1, MembershipV1),
        c("remove_from_group", RemoveFromGroupRequestV1, RemovedMembershipV1),
        c("seed_demo", Empty, DemoSeededV1),
    )


CONTRACTS = _contracts()
