"""identity's replies: sessions, public keys, Cafs, partners, conventions, users and groups.

Each is also the ``response_model`` of the public route passing it through (``/api/v1/auth``, ``/partners``,
``/users``…): its fields are listed in the order the API answers them, with their French descriptions and one
example, shown in the OpenAPI.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from pydantic import Field

from afas_shared.contracts.rpc.base import RpcReply, Timestamp, example

USER_ID = "eb5b9c50-a1e2-409c-809d-4e7ada4ebe0e"
PARTNER_ID = "885402b1-c350-46ef-a585-bf73aabbceb3"


# --- sessions and passwords -----------------------------------------------------------------------


class SessionTokenV1(RpcReply):
    model_config = example(
        {
            "jeton": "eyJhbGciOiJFZERTQSIsImtpZCI6…",
            "expire_a": "2026-03-01T10:00:00+00:00",
            "changement_mot_de_passe_requis": False,
            "derniere_connexion": "2026-02-27T16:12:03.512000+00:00",
        }
    )

    jeton: str = Field(description="Jeton de session, à envoyer en « Authorization: Bearer »")
    expire_a: Timestamp = Field(description="Sans activité, le jeton expire à ce moment")
    changement_mot_de_passe_requis: bool | None = Field(default=None, description="Absent du jeton d'exploitation")
    derniere_connexion: Timestamp | None = Field(default=None, description="À la connexion seulement : la précédente")


class IdentifierV1(RpcReply):
    model_config = example({"identifiant": "200000001"})

    identifiant: str = Field(description="L'identifiant de connexion du compte")


class WhoAmIV1(RpcReply):
    model_config = example(
        {
            "id": USER_ID,
            "identifiant": "200000001",
            "nom": "Martin",
            "prenom": "Claire",
            "email": "claire.martin@amiens.example",
            "type": "partner",
            "partenaire_id": PARTNER_ID,
            "caf": None,
            "groupes": ["AFAS-DECLARER", "AFAS-HABILITER"],
            "roles_caf": [],
            "derniere_connexion": "2026-02-27T16:12:03.512000+00:00",
            "changement_mot_de_passe_requis": False,
        }
    )

    id: uuid.UUID
    identifiant: str
    nom: str
    prenom: str
    email: str
    type: str = Field(description="partner, caf ou cnaf")
    partenaire_id: uuid.UUID | None
    caf: str | None
    groupes: list[str]
    roles_caf: list[str]
    derniere_connexion: Timestamp | None
    changement_mot_de_passe_requis: bool


class MailLinkV1(RpcReply):
    url: str
    expire_a: str


class PublicKeyV1(RpcReply):
    kty: str
    crv: str
    x: str
    kid: str
    alg: str
    use: str


class JwksV1(RpcReply):
    model_config = example(
        {"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "yecxsxMp…", "kid": "qeNIs6Sg…", "alg": "EdDSA", "use": "sig"}]}
    )

    keys: list[PublicKeyV1] = Field(description="JWKS : les clés non retirées (une rotation en garde deux)")


class SigningKeyV1(RpcReply):
    kid: str


# --- reference data, partners and conventions ---------------------------------------------------


class CafV1(RpcReply):
    model_config = example({"code": "080", "nom": "Caf de la Somme", "departement": "80"})

    code: str
    nom: str
    departement: str


class PartnerV1(RpcReply):
    model_config = example(
        {
            "id": PARTNER_ID,
            "raison_sociale": "Commune d'Amiens",
            "siret": "21800021900004",
            "type": "commune",
            "caf": "080",
            "gestion_deleguee": True,
        }
    )

    id: uuid.UUID
    raison_sociale: str
    siret: str
    type: str
    caf: str
    gestion_deleguee: bool = Field(description="Le partenaire gère lui-même ses utilisateurs")


class AuditEntryV1(RpcReply):
    """One line of a partner's audit trail: who did what, when, with what outcome."""

    model_config = example(
        {
            "date": "2026-03-01T09:30:00+00:00",
            "acteur": USER_ID,
            "adresse": "127.0.0.1",
            "action": "group.add",
            "cible": "0a588ecf-d376-49cc-8b7e-2805b4172657",
            "resultat": "ok",
            "detail": {"groupe": "AFAS-DECLARER", "date_debut": "2026-01-01", "date_fin": None},
        }
    )

    date: Timestamp
    acteur: str | None = Field(description="L'utilisateur (id), ou operator")
    adresse: str | None
    action: str
    cible: str | None
    resultat: str = Field(description="ok ou refused")
    detail: dict[str, Any] | list[Any] | None = Field(
        description="Ce que l'action a changé : ses champs dépendent de l'action"
    )


class ConventionV1(RpcReply):
    model_config = example(
        {
            "id": "de94ba5e-ddf5-4e81-9573-39a6c8600c6b",
            "libelle": "Convention d'accès Mon Compte Partenaire",
            "type": "convention_acces",
            "type_libelle": "Convention d'accès Mon Compte Partenaire",
            "caf": "080",
            "partenaire_id": PARTNER_ID,
            "partenaire": "Commune d'Amiens",
            "date_ouverture": "2026-01-01",
            "date_fermeture": None,
            "statut": "Ouvert",
            "etat": "Valable",
        }
    )

    id: uuid.UUID
    libelle: str | None
    type: str
    type_libelle: str
    caf: str
    partenaire_id: uuid.UUID
    partenaire: str
    date_ouverture: date
    date_fermeture: date | None
    statut: str = Field(description="Ouvert ou Fermé")
    etat: str = Field(description="Valable ou Non valable")


# --- users and groups ---------------------------------------------------------------------------


class MembershipV1(RpcReply):
    """A membership of a group; once ended (``remove_from_group``), its group and end date only."""

    model_config = example({"groupe": "AFAS-DECLARER", "date_debut": "2026-01-01", "date_fin": None})

    groupe: str
    date_debut: date | None = None
    date_fin: date | None


class UserV1(RpcReply):
    model_config = example(
        {
            "id": "aa626a7e-f07d-4c4c-b0ef-39ad60d540db",
            "identifiant": "200000002",
            "nom": "Bernard",
            "prenom": "Karim",
            "email": "karim.bernard@amiens.example",
            "telephone": None,
            "mobilite": "sedentaire",
            "type": "partner",
            "partenaire_id": PARTNER_ID,
            "caf": None,
            "roles_caf": [],
            "date_ouverture": "2026-01-01",
            "date_fermeture": None,
            "statut": "actif",
            "groupes": [{"groupe": "AFAS-DECLARER", "date_debut": "2026-01-01", "date_fin": None}],
        }
    )

    id: uuid.UUID
    identifiant: str
    nom: str
    prenom: str
    email: str
    telephone: str | None
    mobilite: str | None
    type: str = Field(description="partner, caf ou cnaf")
    partenaire_id: uuid.UUID | None
    caf: str | None
    roles_caf: list[str]
    date_ouverture: date | None
    date_fermeture: date | None
    statut: str = Field(description="actif, suspendu ou clos")
    groupes: list[MembershipV1]


class ErasedUserV1(UserV1):
    """A closed account whose personal data was erased: pseudonymous names and address, no phone."""

    model_config = example(
        {
            **UserV1.model_config["json_schema_extra"]["examples"][0],  # type: ignore[index,dict-item]
            "nom": "Anonyme",
            "prenom": "Compte 200000002",
            "email": "efface-aa626a7ef07d@compte-efface.example",
            "date_fermeture": "2026-06-30",
            "statut": "clos",
            "groupes": [{"groupe": "AFAS-DECLARER", "date_debut": "2026-01-01", "date_fin": "2026-06-30"}],
            "deja": False,
        }
    )

    deja: bool = Field(description="Vrai si elles l'étaient déjà : rien n'a changé")


class RemovedMembershipV1(RpcReply):
    groupe: str
    date_fin: date


class DemoAccountV1(RpcReply):
    identifiant: str
    qui: str
    role: str


class DemoSeededV1(RpcReply):
    """The demonstration accounts loaded, with their shared password."""

    model_config = example(
        {
            "mot_de_passe": "Demo-Afas-2026!",
            "comptes": [{"identifiant": "100000001", "qui": "Agnès Lefèvre", "role": "agent de la Caf de la Somme"}],
        }
    )

    mot_de_passe: str = Field(description="Le mot de passe de chaque compte de démonstration")
    comptes: list[DemoAccountV1]
