"""habilitation's requests and replies: the catalogue of activities and the role grants.

Field names are the public API's (``/api/v1/activities``, ``/api/v1/grants``); the attribute keeps
habilitation's name where it differs.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field

from afas_shared.contracts.rpc.base import Empty, RpcContract, RpcReply, RpcRequest

# The values habilitation's domain knows (its Family, SiteMode and Role; a test keeps them equal).
Family = Literal[
    "eaje_psu",
    "alsh",
    "rpe",
    "laep",
    "espace_rencontre",
    "mediation_familiale",
    "ps_jeunes",
    "centre_social_agc",
    "centre_social_acf",
    "clas",
    "ctg",
]
SiteMode = Literal["mono_lieu", "multi_lieux_itinerant", "multi_lieux_antennes"]
Role = Literal["fda", "fdf", "approbateur"]


# --- the catalogue ------------------------------------------------------------------------------


class ActivityFieldsV1(RpcRequest):
    partner_id: uuid.UUID = Field(alias="partenaire_id")
    family: Family = Field(alias="type")
    nature: str
    name: str = Field(alias="nom")
    site_mode: SiteMode = Field(default="mono_lieu", alias="mode_lieux")
    sites: list[str] = Field(default_factory=list, alias="lieux")
    opening_date: date = Field(alias="date_ouverture")
    closing_date: date | None = Field(default=None, alias="date_fermeture")
    capacity: int | None = Field(default=None, alias="places")
    equipment_id: str | None = Field(default=None, alias="ideq")
    afc_file: str | None = Field(default=None, alias="dossier_afc")


class ActivityIdRequestV1(RpcRequest):
    activity_id: uuid.UUID


class UpdateActivityRequestV1(ActivityFieldsV1):
    activity_id: uuid.UUID


class CloseActivityRequestV1(ActivityIdRequestV1):
    closing_date: date = Field(alias="date_fermeture")


class ActivityFiltersV1(RpcRequest):
    partner_id: uuid.UUID | None = Field(default=None, alias="partenaire")
    family: str | None = Field(default=None, alias="type")
    nature: str | None = None


class ImportActivitiesRequestV1(RpcRequest):
    """The CSV file, base64 (its size on the bus is 4/3 of the file's, see ``afas_shared.contracts.limits``)."""

    csv_base64: str | None = None
    csv: str | None = None  # or as text


class SiteViewV1(RpcReply):
    id: str
    nom: str


class ActivityV1(RpcReply):
    id: str
    partenaire_id: str
    partenaire: str | None
    caf: str
    type: str
    type_libelle: str
    nature: str
    nom: str
    mode_lieux: str
    lieux: list[SiteViewV1]
    date_ouverture: str
    date_fermeture: str | None
    places: int | None
    ideq: str | None
    dossier_afc: str | None


class ImportReportV1(RpcReply):
    lignes_lues: int
    creees: int
    modifiees: int
    inchangees: int
    rejets: list[dict[str, Any]]


# --- role grants --------------------------------------------------------------------------------


class ScopeItemV1(RpcRequest):
    activity_id: uuid.UUID = Field(alias="activite_id")
    site_id: uuid.UUID | None = Field(default=None, alias="lieu_id")


class GrantRequestV1(RpcRequest):
    user_id: uuid.UUID = Field(alias="utilisateur_id")
    role: Role
    scope: list[ScopeItemV1] = Field(default_factory=list, alias="perimetre")
    all_activities: bool = Field(default=False, alias="toutes_activites")  # "Sélectionner toutes les activités"
    start_date: date | None = Field(default=None, alias="date_debut")
    end_date: date | None = Field(default=None, alias="date_fin")


class GrantIdRequestV1(RpcRequest):
    grant_id: uuid.UUID


class DecideGrantRequestV1(GrantIdRequestV1):
    multiline_fields = frozenset({"reason"})  # typed in a textarea: line breaks allowed
    accept: bool = Field(default=False, alias="accepter")
    reason: str | None = Field(default=None, alias="motif")


class GrantFiltersV1(RpcRequest):
    """ "Administration des profils": every filter optional."""

    partner_id: uuid.UUID | None = Field(default=None, alias="partenaire")
    user_id: uuid.UUID | None = Field(default=None, alias="utilisateur")
    role: Role | None = None
    activity_id: uuid.UUID | None = Field(default=None, alias="activite")
    family: str | None = Field(default=None, alias="type")
    nature: str | None = None
    with_sites: bool | None = Field(default=None, alias="lieux")
    state: str | None = Field(default=None, alias="etat")


class PartnerGrantsRequestV1(RpcRequest):
    partner_id: uuid.UUID
    state: str | None = Field(default=None, alias="etat")


class GrantV1(RpcReply):
    """A grant line, or in a search a role no one holds on an activity (``etat`` "Non attribué", no ``id``)."""

    id: str | None = None
    activite_id: str
    activite: str | None
    lieu_id: str | None
    role: str
    role_libelle: str
    etat: str


GrantedLines = Annotated[list[GrantV1], Field(description="One line per activity or site of the scope")]


def _contracts() -> tuple[RpcContract, ...]:
    def c(verb: str, request: type[RpcRequest], reply: Any) -> RpcContract:
        return RpcContract("habilitation", verb, request, reply)

    return (
        c("register_activity", ActivityFieldsV1, ActivityV1),
        c("update_activity", UpdateActivityRequestV1, ActivityV1),
        c("close_activity", CloseActivityRequestV1, ActivityV1),
        c("get_activity", ActivityIdRequestV1, ActivityV1),
        c("search_activities", ActivityFiltersV1, list[ActivityV1]),
        c("import_activities", ImportActivitiesRequestV1, ImportReportV1),
        c("grant", GrantRequestV1, GrantedLines),
        c("decide_grant", DecideGrantRequestV1, GrantV1),
        c("end_grant", GrantIdRequestV1, GrantV1),
        c("grants_of_partner", PartnerGrantsRequestV1, list[GrantV1]),
        c("pending_approbateurs", Empty, list[GrantV1]),
        c("search_grants", GrantFiltersV1, list[GrantV1]),
    )


CONTRACTS = _contracts()
