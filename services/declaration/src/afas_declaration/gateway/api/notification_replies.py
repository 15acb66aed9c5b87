"""Replies of the notification part of the public API: calendar, personal ICS link, inbox, preferences, reminders."""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, Field

from afas_declaration.gateway.api.reply_fields import Timestamp, example


class CampaignDates(BaseModel):
    campagne_id: uuid.UUID
    caf: str
    type_activite: str
    type_activite_libelle: str
    exercice: int
    type_declaration: str
    type_declaration_libelle: str
    date_ouverture: date
    date_limite: date | None


class Deadline(BaseModel):
    declaration_id: uuid.UUID
    activite: str | None
    exercice: int
    type_declaration: str
    date_limite: date | None
    etat: str = Field(description="Où en est la déclaration, en clair")


class Calendar(BaseModel):
    model_config = example(
        {
            "campagnes": [
                {
                    "campagne_id": "5d2b76f7-944c-4684-bbcb-28c53f546cfb",
                    "caf": "080",
                    "type_activite": "alsh",
                    "type_activite_libelle": "ALSH",
                    "exercice": 2027,
                    "type_declaration": "previsionnelle",
                    "type_declaration_libelle": "Prévisionnelle",
                    "date_ouverture": "2026-12-07",
                    "date_limite": "2027-02-05",
                }
            ],
            "mes_echeances": [
                {
                    "declaration_id": "8f078ad4-272f-49a6-ac93-a61b3c379af0",
                    "activite": "Multi-accueil Les Lucioles",
                    "exercice": 2027,
                    "type_declaration": "previsionnelle",
                    "date_limite": "2027-02-05",
                    "etat": "À transmettre",
                }
            ],
        }
    )

    campagnes: list[CampaignDates]
    mes_echeances: list[Deadline] = Field(
        description="Un utilisateur partenaire : ses déclarations et leur date limite"
    )


class CalendarLink(BaseModel):
    model_config = example({"url": "https://afas.example/api/v1/calendrier/OkIPvMvE….ics", "jeton": "OkIPvMvE…"})

    url: str = Field(description="L'adresse à donner à son agenda (secrète : elle vaut accès)")
    jeton: str


class CalendarLinkRevoked(BaseModel):
    model_config = example({"revoque": True})

    revoque: bool = Field(description="Faux s'il n'y avait pas de lien")


class InboxMessage(BaseModel):
    model_config = example(
        {
            "id": "f0eb3479-3919-44c4-8e1a-8efff599f9d8",
            "type": "approbateur_valide",
            "categorie": "avis",
            "objet": "Votre habilitation d'approbateur a été validée",
            "texte": "Bonjour Claire,\n\nVotre Caf a validé votre habilitation…",
            "lien": "https://afas.example/declarations/9a942c0b-1d5c-4e56-9660-af12af056651",
            "declaration_id": "9a942c0b-1d5c-4e56-9660-af12af056651",
            "recu_le": "2026-03-01T09:30:00+00:00",
            "lu": False,
        }
    )

    id: uuid.UUID
    type: str
    categorie: str = Field(description="rappel, avis ou securite")
    objet: str
    texte: str
    lien: str | None
    declaration_id: uuid.UUID | None
    recu_le: Timestamp
    lu: bool


class UnreadCount(BaseModel):
    model_config = example({"non_lues": 3})

    non_lues: int


class MarkedRead(BaseModel):
    model_config = example({"marques": 3})

    marques: int = Field(description="Combien de messages sont passés à « lu »")


class MailPreferences(BaseModel):
    model_config = example({"rappels_par_email": True, "avis_par_email": False, "securite_par_email": True})

    rappels_par_email: bool
    avis_par_email: bool
    securite_par_email: bool = Field(description="Toujours vrai")


class ReminderSettings(BaseModel):
    model_config = example({"caf": "080", "jours_avant": [15, 3, 1], "jours_apres": 1, "par_defaut": True})

    caf: str
    jours_avant: list[int]
    jours_apres: int
    par_defaut: bool = Field(description="Vrai : la Caf garde les jours par défaut de la plateforme")


class UndeliverableMessage(BaseModel):
    model_config = example(
        {
            "id": "21c55706-1475-4c45-b54a-519bb18ebd34",
            "type": "activation",
            "destinataire_id": "0a588ecf-d376-49cc-8b7e-2805b4172657",
            "objet": "Activez votre compte",
            "tentatives": 8,
            "derniere_erreur": "550 mailbox unavailable",
            "cree_le": "2026-03-01T09:30:00+00:00",
            "message_id": "<21c55706@afas.example>",
        }
    )

    id: uuid.UUID
    type: str
    destinataire_id: uuid.UUID | None
    objet: str
    tentatives: int
    derniere_erreur: str | None
    cree_le: Timestamp
    message_id: str | None


class RetryQueued(BaseModel):
    model_config = example({"id": "21c55706-1475-4c45-b54a-519bb18ebd34", "etat": "a_renvoyer"})

    id: uuid.UUID
    etat: str
