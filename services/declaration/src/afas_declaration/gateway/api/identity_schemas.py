"""Request bodies of the identity part of the public API, in the vocabulary of the Caf screens."""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import EmailStr, Field

from afas_shared.text import InputModel


class Login(InputModel):
    identifiant: str = Field(min_length=1, max_length=50, examples=["123456789"])
    mot_de_passe: str = Field(min_length=1, max_length=256)


class NewPassword(InputModel):
    jeton: str = Field(min_length=1, max_length=200)
    mot_de_passe: str = Field(min_length=1, max_length=256)
    confirmation: str


class PasswordChange(InputModel):
    mot_de_passe_actuel: str
    mot_de_passe: str = Field(min_length=1, max_length=256)
    confirmation: str


class ResetRequest(InputModel):
    identifiant: str = Field(min_length=1, max_length=50)


class PartnerBody(InputModel):
    raison_sociale: str = Field(min_length=1, max_length=200, examples=["Commune d'Amiens"])
    siret: str = Field(max_length=20, examples=["21800021900016"])
    type: Literal["commune", "epci", "association", "entreprise", "autre"]
    caf: str = Field(max_length=10, examples=["080"])
    gestion_deleguee: bool = True


class Delegation(InputModel):
    gestion_deleguee: bool


class ConventionBody(InputModel):
    type: Literal["convention_acces", "contrat_service", "bulletin_adhesion"]
    libelle: str | None = Field(default=None, max_length=200)
    date_ouverture: date
    date_fermeture: date | None = None


class Closing(InputModel):
    date_fermeture: date | None = None


class UserBody(InputModel):
    nom: str = Field(min_length=1, max_length=100, examples=["Martin"])
    prenom: str = Field(min_length=1, max_length=100, examples=["Claire"])
    email: EmailStr = Field(examples=["claire.martin@amiens.fr"])
    email_confirmation: str = Field(max_length=254, examples=["claire.martin@amiens.fr"])
    telephone: str | None = Field(default=None, max_length=30, examples=["0322000000"])
    telephone_confirmation: str | None = Field(default=None, max_length=30)
    mobilite: Literal["sedentaire", "itinerant"] = "sedentaire"
    date_ouverture: date | None = None
    date_fermeture: date | None = None


class CafAgentBody(UserBody):
    # parametrage_national: agents of the Cnaf only (created under the national code 000)
    roles_caf: list[Literal["habilitations", "instruction", "parametrage", "lecture", "parametrage_national"]] = Field(
        min_length=1
    )


class Suspension(InputModel):
    multiline_fields = frozenset({"motif"})  # typed in a textarea: line breaks allowed
    motif: str = Field(min_length=1, max_length=500)


class MembershipBody(InputModel):
    groupe: Literal["AFAS-HABILITER", "AFAS-DECLARER"]
    date_debut: date | None = None
    date_fin: date | None = None
