"""habilitation's requests and replies: the catalogue of activities and the role grants.

Field names are the public API's (``/api/v1/activities``, ``/api/v1/grants``); the attribute keeps
habilitation's name where it differs. A reply is also the ``response_model`` of the public route passing it
through: its fields in the order the API answers them, with one example.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import Field

from afas_shared.contracts.rpc.base import Empty, RpcContract, RpcReply, RpcRequest, example
from afas_shared.contracts.rpc.identity_replies import PARTNER_ID

ACTIVITY_ID = "1fab0cb7-4b54-46c3-88e2-6ffef986f50d"

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
    id: uuid.UUID
    nom: str


class ActivityV1(RpcReply):
    model_config = example(
        {
            "id": ACTIVITY_ID,
            "partenaire_id": PARTNER_ID,
            "partenaire": "Commune d'Amiens",
            "caf": "080",
            "type": "alsh",
            "type_libelle": "ALSH",
            "nature": "periscolaire",
            "nature_libelle": "ALSH périscolaire",
            "nom": "ALSH Les Coccinelles",
            "mode_lieux": "multi_lieux_antennes",
            "mode_lieux_libelle": "Multi-lieux antennes",
            "lieux": [{"id": "54f0c1aa-fdab-431c-b299-3512230a61e4", "nom": "École Jules Ferry"}],
            "perimetre_par_lieu": True,
            "date_ouverture": "2020-09-01",
            "date_fermeture": None,
            "places": 40,
            "ideq": "ALSH0801",
            "dossier_afc": "800101",
        }
    )

    id: uuid.UUID
    partenaire_id: uuid.UUID
    partenaire: str | None
    caf: str
    type: str = Field(description="Famille de prestation de service")
    type_libelle: str
    nature: str
    nature_libelle: str
    nom: str
    mode_lieux: str
    mode_lieux_libelle: str
    lieux: list[SiteViewV1] = Field(description="Les lieux d'implantation")
    perimetre_par_lieu: bool = Field(
        default=False,
        description="Le rôle de fournisseur de données d'activité peut viser un seul de ses lieux (activité "
        "multi-lieux ALSH, LAEP ou Espace de rencontre)",
    )
    date_ouverture: date
    date_fermeture: date | None
    places: int | None
    ideq: str | None
    dossier_afc: str | None


class RejectedLineV1(RpcReply):
    ligne: int
    motif: str


class ImportReportV1(RpcReply):
    model_config = example(
        {
            "lignes_lues": 3,
            "creees": 1,
            "modifiees": 1,
            "inchangees": 0,
            "rejets": [{"ligne": 3, "motif": "Ligne 3 : date d'ouverture invalide."}],
        }
    )

    lignes_lues: int
    creees: int
    modifiees: int
    inchangees: int
    rejets: list[RejectedLineV1] = Field(description="Les lignes rejetées, avec le motif de chacune")


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
    # Chosen by the gateway (never by a client) for ``grant_or_start``: the id of the job if the grant becomes one, so
    # an answer lost on the way (the RPC budget spent) is found again by asking for that job.
    job_id: uuid.UUID | None = None


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

    model_config = example(
        {
            "id": "30d6f83f-0c8f-4d02-b29c-9bf1c37a525b",
            "habilitation": "12eec701-e0b3-495a-b902-55c07a069fbf",
            "utilisateur_id": "eb5b9c50-a1e2-409c-809d-4e7ada4ebe0e",
            "utilisateur": "Claire Martin",
            "role": "approbateur",
            "role_libelle": "Approbateur",
            "activite_id": ACTIVITY_ID,
            "activite": "ALSH Les Coccinelles",
            "lieu_id": None,
            "date_debut": "2026-01-01",
            "date_fin": None,
            "validation": "Validé",
            "etat": "Actif",
            "fin_possible": True,
        }
    )

    id: uuid.UUID | None = Field(default=None, description="Absent d'un rôle non attribué")
    habilitation: uuid.UUID | None = Field(default=None, description="Les lignes d'une même habilitation")
    utilisateur_id: uuid.UUID | None = None
    utilisateur: str | None = None
    partenaire: str | None = Field(default=None, description="Rôle non attribué seulement")
    role: str = Field(description="fda, fdf ou approbateur")
    role_libelle: str
    activite_id: uuid.UUID
    activite: str | None
    lieu_id: uuid.UUID | None
    lieu: str | None = Field(default=None, description="Rôle non attribué seulement : le nom du lieu")
    date_debut: date | None = None
    date_fin: date | None = None
    validation: str | None = None
    etat: str = Field(description="Actif, Historique, Inactif ou Non attribué")
    fin_possible: bool = Field(default=False, description="Il peut encore y être mis fin (en cours ou à venir)")


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
