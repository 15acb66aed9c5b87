"""Replies of the declaration part of the public API: campaigns, "Mes déclarations", a declaration and its forms,
and the caller's own rights."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from pydantic import BaseModel, Field

from afas_declaration.gateway.api.reply_fields import Timestamp, example
from afas_declaration.gateway.api.review_replies import AvailableEstimate, UnavailableEstimate
from afas_shared.contracts.declaration_states import DeclarationState

DECLARATION_ID = "7505c8a3-e289-4cfb-9e3c-dcc3614905d8"
FORM_ID = "66cf6a96-e15c-4e19-aa8e-1dd12927e0b3"
ACTIVITY_ID = "1fab0cb7-4b54-46c3-88e2-6ffef986f50d"


class Campaign(BaseModel):
    model_config = example(
        {
            "id": "cef601fe-efb2-4b85-a288-33afc258d170",
            "caf": "080",
            "type_activite": "alsh",
            "exercice": 2027,
            "type_declaration": "previsionnelle",
            "type_declaration_libelle": "Prévisionnelle",
            "date_ouverture": "2026-12-07",
            "date_limite": "2027-02-05",
            "ouverte": True,
            "version_formulaires": "2026.1",
            "job_id": "9b7e3f5a-2d4c-4e8b-9a1f-6c2d8e4b7a10",
            "etat": "terminee",
            "suivi": "/api/v1/jobs/9b7e3f5a-2d4c-4e8b-9a1f-6c2d8e4b7a10",
            "cloturee_le": None,
        }
    )

    id: uuid.UUID
    caf: str
    type_activite: str
    exercice: int
    type_declaration: str
    type_declaration_libelle: str
    date_ouverture: dt.date
    date_limite: dt.date
    ouverte: bool = Field(description="Vrai une fois l'ouverture terminée : chaque déclaration attendue est créée")
    version_formulaires: str
    job_id: uuid.UUID | None = Field(default=None, description="Le traitement qui ouvre la campagne, dès sa date venue")
    etat: str = Field(default="en_attente", description="Ouverture : en_attente, en_cours, puis terminee")
    suivi: str | None = Field(default=None, description="Où suivre l'ouverture : /api/v1/jobs/{job_id}")
    cloturee_le: dt.datetime | None = Field(
        default=None, description="Clôturée par la Caf ou l'opérateur : aucune déclaration n'y est plus attendue"
    )


class CampaignReconciliation(BaseModel):
    model_config = example(
        {
            "campagne": "cef601fe-efb2-4b85-a288-33afc258d170",
            "declarations_creees": 1,
            "resultat": "1 declaration(s) created",
        }
    )

    campagne: uuid.UUID
    declarations_creees: int = Field(description="Déclarations attendues qui manquaient, créées par ce rapprochement")
    resultat: str


class CampaignActionLine(BaseModel):
    model_config = example(
        {
            "le": "2026-12-07T09:30:00+00:00",
            "action": "close",
            "par": "operator",
            "utilisateur": None,
            "resultat": "closed",
        }
    )

    le: dt.datetime
    action: str = Field(description="open, close, reconcile")
    par: str = Field(description="operator, caf")
    utilisateur: uuid.UUID | None
    resultat: str


class FormLine(BaseModel):
    id: uuid.UUID
    type: str
    lieu: str | None
    etat: str


class Action(BaseModel):
    action: str
    libelle: str


class VersionLine(BaseModel):
    version: int
    transmise_le: Timestamp
    signataire: str | None
    hash: str
    decision_caf: str | None
    motif: str | None
    accuse_reception: str = Field(description="L'adresse de l'accusé de réception (PDF)")


class DeclarationLine(BaseModel):
    model_config = example(
        {
            "id": DECLARATION_ID,
            "exercice": 2027,
            "type_declaration": "Prévisionnelle",
            "type_declaration_code": "previsionnelle",
            "activite_id": ACTIVITY_ID,
            "activite": "ALSH Les Coccinelles",
            "type_activite": "alsh",
            "nature": "periscolaire",
            "etat": "En cours de saisie",
            "etat_code": DeclarationState.en_cours.value,
            "version": 1,
            "motif_refus": None,
            "formulaires": [
                {"id": FORM_ID, "type": "Données d'activité", "lieu": "École Jules Ferry", "etat": "À saisir"}
            ],
            "lieux": ["École Jules Ferry", "École Victor Hugo"],
            "actions": [{"action": "saisir_activite", "libelle": "Saisir les données d'activité"}],
        }
    )

    id: uuid.UUID
    exercice: int
    type_declaration: str = Field(description="En clair : Prévisionnelle, Actualisée (juin)…")
    type_declaration_code: str
    activite_id: uuid.UUID
    activite: str
    type_activite: str
    nature: str
    etat: str
    etat_code: str
    version: int
    motif_refus: str | None
    formulaires: list[FormLine]
    lieux: list[str]
    actions: list[Action] = Field(description="Ce que les rôles de l'utilisateur lui permettent de faire maintenant")
    versions: list[VersionLine] | None = Field(default=None, description="Historique d'une activité seulement")


class AwaitingInput(BaseModel):
    model_config = example({"nombre": 2, "message": "Vous avez 2 déclarations à saisir"})

    nombre: int
    message: str


class FormField(BaseModel):
    id: str
    libelle: str
    type: str
    unite: str | None
    min: str | int | float | None
    max: str | int | float | None
    obligatoire: bool
    calcule: bool = Field(description="Calculé par la plateforme : non saisi")
    aide: str | None


class Section(BaseModel):
    id: str
    libelle: str
    champs: list[FormField]


class Form(BaseModel):
    model_config = example(
        {
            "id": FORM_ID,
            "declaration_id": DECLARATION_ID,
            "type": "activite",
            "titre": "Données d'activité",
            "lieu": "École Jules Ferry",
            "etat": "En cours de saisie",
            "version": 1,
            "modifiable": True,
            "enregistre_par": "Karim Bernard",
            "renvoye_par": None,
            "commentaire_renvoi": None,
            "renvoyable": False,
            "motif_non_renvoyable": "Seul l'approbateur renvoie un formulaire à son fournisseur.",
            "enregistre_a": "08:30",
            "enregistre_le": "2027-01-12",
            "valeurs": {"jours_ouverture": "140", "heures_realisees": "12500"},
            "sections": [
                {
                    "id": "activite",
                    "libelle": "Activité de l'accueil",
                    "champs": [
                        {
                            "id": "jours_ouverture",
                            "libelle": "Jours d'ouverture dans l'année",
                            "type": "integer",
                            "unite": "jours",
                            "min": "0",
                            "max": "366",
                            "obligatoire": True,
                            "calcule": False,
                            "aide": None,
                        }
                    ],
                }
            ],
        }
    )

    id: uuid.UUID
    declaration_id: uuid.UUID
    type: str = Field(description="activite ou financier")
    titre: str
    lieu: str | None
    etat: str
    version: int = Field(description="À renvoyer à l'enregistrement suivant (saisie concurrente : 409)")
    modifiable: bool
    motif_lecture_seule: str | None = Field(
        default=None, description="Pourquoi le formulaire ne se modifie pas (absent s'il est modifiable)"
    )
    enregistre_par: str | None
    renvoye_par: str | None
    commentaire_renvoi: str | None
    renvoyable: bool = Field(
        default=False,
        description="L'appelant peut le renvoyer à son fournisseur maintenant (POST /api/v1/forms/{id}/send-back) : "
        "dans le détail de la déclaration, pas dans la réponse d'un enregistrement",
    )
    motif_non_renvoyable: str | None = Field(
        default=None, description="Pourquoi il ne se renvoie pas (dans le détail de la déclaration)"
    )
    enregistre_a: str | None = Field(description="Heure de Paris, HH:MM")
    enregistre_le: dt.date | None
    valeurs: dict[str, Any] = Field(description="Les valeurs saisies, par identifiant de champ (voir sections)")
    sections: list[Section]


class SavedForm(Form):
    estimation: AvailableEstimate | UnavailableEstimate | None = Field(
        default=None, description="L'estimation à laquelle conduit l'enregistrement, ou pourquoi il n'y en a pas"
    )


class DeclarationDetail(BaseModel):
    model_config = example(
        {
            "id": DECLARATION_ID,
            "exercice": 2027,
            "type_declaration": "previsionnelle",
            "type_declaration_libelle": "Prévisionnelle",
            "activite": "ALSH Les Coccinelles",
            "activite_id": ACTIVITY_ID,
            "nature": "periscolaire",
            "date_limite": "2027-02-05",
            "etat": "En cours de saisie",
            "etat_code": DeclarationState.en_cours.value,
            "version": 1,
            "motif_refus": None,
            "informations_complementaires": None,
            "formulaires": [],
            "actions": {
                "controler": True,
                "justifier": False,
                "transmettre": False,
                "valider": False,
                "refuser": False,
                "annuler": False,
            },
            "actions_impossibles": {
                "justifier": "Seul l'approbateur justifie les anomalies signalées.",
                "transmettre": "Seul l'approbateur de l'activité signe et transmet la déclaration.",
                "valider": "Seuls les agents d'instruction de la Caf de cette déclaration décident.",
                "refuser": "Seuls les agents d'instruction de la Caf de cette déclaration décident.",
                "annuler": "Seuls les agents d'instruction de la Caf de cette déclaration décident.",
            },
        }
    )

    id: uuid.UUID
    exercice: int
    type_declaration: str
    type_declaration_libelle: str
    activite: str
    activite_id: uuid.UUID
    nature: str
    date_limite: dt.date
    etat: str
    etat_code: str
    version: int
    motif_refus: str | None
    informations_complementaires: str | None
    formulaires: list[Form] = Field(description="Les formulaires du périmètre de l'utilisateur")
    actions: dict[str, bool] = Field(
        description="Ce que l'utilisateur peut faire maintenant sur la déclaration (contrôler, justifier, transmettre, "
        "valider, refuser, annuler), selon la règle qui accepte ou refuse l'action"
    )
    actions_impossibles: dict[str, str] = Field(
        description="Pour chaque action impossible maintenant, ce qui serait répondu à qui la tenterait"
    )


class Permission(BaseModel):
    model_config = example(
        {"role": "approbateur", "activite_id": ACTIVITY_ID, "lieu_id": None, "actions": ["saisir_activite"]}
    )

    role: str
    activite_id: uuid.UUID
    lieu_id: uuid.UUID | None
    actions: list[str]


class PermissionCheck(BaseModel):
    model_config = example({"autorise": True})

    autorise: bool
