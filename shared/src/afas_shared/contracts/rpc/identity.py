"""identity's requests and replies: sessions, passwords, partners, conventions, users and groups.

Field names are the public API's (``/api/v1/…``); the attribute keeps identity's name where it differs.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Literal

from pydantic import EmailStr, Field

from afas_shared.contracts.rpc.base import Empty, RpcContract, RpcReply, RpcRequest

ConventionKind = Literal["convention_acces", "contrat_service", "bulletin_adhesion"]
PartnerKind = Literal["commune", "epci", "association", "entreprise", "autre"]
CafRole = Literal["habilitations", "instruction", "parametrage", "lecture", "parametrage_national"]
Group = Literal["AFAS-HABILITER", "AFAS-DECLARER"]


# --- sessions and passwords -----------------------------------------------------------------------


class LoginRequestV1(RpcRequest):
    identifier: str = Field(default="", alias="identifiant")
    password: str = Field(default="", alias="mot_de_passe")
    address: str | None = None  # the client's address, for the per-address throttling


class SessionTokenV1(RpcReply):
    jeton: str
    expire_a: str
    changement_mot_de_passe_requis: bool | None = None


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


class IdentifierV1(RpcReply):
    identifiant: str


class WhoAmIV1(RpcReply):
    id: str
    identifiant: str
    nom: str
    prenom: str
    email: str
    type: str


class MailLinkRequestV1(RpcRequest):
    """For the notification service: the URL of a one-time link, composed when it mails it."""

    link_id: str = ""
    kind: str = ""


class MailLinkV1(RpcReply):
    url: str
    expire_a: str


class JwksV1(RpcReply):
    keys: list[dict[str, Any]]


# --- reference data, partners and conventions ---------------------------------------------------


class CafV1(RpcReply):
    code: str
    nom: str
    departement: str


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


class PartnerV1(RpcReply):
    id: str
    raison_sociale: str
    siret: str
    type: str
    caf: str
    gestion_deleguee: bool


class AuditEntryV1(RpcReply):
    """One line of a partner's audit trail: who did what, when, with what outcome."""

    date: str
    acteur: str | None
    adresse: str | None
    action: str
    cible: str | None
    resultat: str
    detail: dict[str, Any] | list[Any] | None


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


class ConventionV1(RpcReply):
    id: str
    libelle: str | None
    type: str
    caf: str
    partenaire_id: str
    date_ouverture: str
    date_fermeture: str | None
    statut: str
    etat: str


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


class MembershipV1(RpcReply):
    groupe: str
    date_debut: str | None = None
    date_fin: str | None


class UserV1(RpcReply):
    id: str
    identifiant: str
    nom: str
    prenom: str
    email: str
    telephone: str | None
    type: str
    partenaire_id: str | None
    caf: str | None
    roles_caf: list[str]
    statut: str
    groupes: list[MembershipV1]


class RemovedMembershipV1(RpcReply):
    groupe: str
    date_fin: str


class SigningKeyV1(RpcReply):
    kid: str


class DemoSeededV1(RpcReply):
    """The demonstration accounts loaded, with their shared password."""

    mot_de_passe: str
    comptes: list[dict[str, Any]]


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
        c("sign_convention", SignConventionRequestV1, ConventionV1),
        c("close_convention", CloseConventionRequestV1, ConventionV1),
        c("search_conventions", ConventionFiltersV1, list[ConventionV1]),
        c("create_user", CreateUserRequestV1, UserV1),
        c("create_caf_agent", CreateCafAgentRequestV1, UserV1),
        c("update_user", UpdateUserRequestV1, UserV1),
        c("close_user", CloseUserRequestV1, UserV1),
        c("suspend_user", SuspendUserRequestV1, UserV1),
        c("reactivate_user", UserIdRequestV1, UserV1),
        c("force_password_change", UserIdRequestV1, UserV1),
        c("list_users", PartnerIdRequestV1, list[UserV1]),
        c("add_to_group", AddToGroupRequestV1, MembershipV1),
        c("remove_from_group", RemoveFromGroupRequestV1, RemovedMembershipV1),
        c("seed_demo", Empty, DemoSeededV1),
    )


CONTRACTS = _contracts()
