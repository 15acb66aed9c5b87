"""estimation's replies on payments: a Caf's payment policy, an activity's payments, a validated declaration's
entitlement, and the amounts recorded from before the platform. The public API passes them through as is."""

from __future__ import annotations

import datetime as dt
import uuid

from pydantic import BaseModel, Field

from afas_shared.contracts.rpc.base import Euros, Timestamp, example
from afas_shared.contracts.rpc.estimation_explanations import Explanation

ACTIVITY_ID = "5d1d31d0-8c9d-4101-80db-3f0ac0b64bb2"
ADVANCE = {
    "type": "acompte_1",
    "libelle": "1er acompte",
    "pourcentage": "35",
    "declencheur": "à la validation de la déclaration prévisionnelle",
    "assiette": "du droit réel N-2",
}


class AdvanceRule(BaseModel):
    type: str
    libelle: str
    pourcentage: str
    declencheur: str
    assiette: str


class Cap(BaseModel):
    pourcentage: str
    seuil_ecart: str = Field(description="Écart prévisionnel/réel, en %, au-delà duquel le plafond s'applique")
    concerne: list[str]


class PolicyChoice(BaseModel):
    id: str
    libelle: str


class PaymentPolicy(BaseModel):
    model_config = example(
        {
            "caf": "080",
            "id": "acomptes_35_35",
            "libelle": "Acomptes de 35 % + 35 %",
            "source": "caf.fr, Caf du Nord",
            "acomptes": [ADVANCE],
            "acomptes_equipement_nouveau": [ADVANCE],
            "complements": False,
            "plafond": {"pourcentage": "70", "seuil_ecart": "10", "concerne": ["acompte_2", "complement"]},
            "politiques_possibles": [{"id": "acomptes_35_35", "libelle": "Acomptes de 35 % + 35 %"}],
        }
    )

    modifie: bool | None = Field(default=None, description="Après un choix seulement : faux si rien n'a changé")
    activites_recalculees: int | None = Field(default=None, description="Après un choix seulement")
    version: int | None = Field(default=None, description="Après un choix qui a changé la politique")
    caf: str
    id: str
    libelle: str
    source: str
    acomptes: list[AdvanceRule]
    acomptes_equipement_nouveau: list[AdvanceRule]
    complements: bool
    plafond: Cap | None
    politiques_possibles: list[PolicyChoice] | None = Field(default=None, description="En consultation")


class Payment(BaseModel):
    cle: str
    type: str
    numero: int
    libelle: str
    montant: Euros
    montant_affiche: str
    statut: str = Field(description="verse ou a_venir")
    statut_libelle: str
    date: dt.date | None
    declencheur: str
    explication: str
    plafonne: bool
    annonce: bool


class PriorActual(BaseModel):
    exercice: int
    droit_reel: Euros
    droit_previsionnel: Euros | None
    enregistre_le: Timestamp


class Payments(BaseModel):
    model_config = example(
        {
            "activite_id": ACTIVITY_ID,
            "exercice": 2027,
            "politique": {"id": "acomptes_35_35", "libelle": "Acomptes de 35 % + 35 %"},
            "paiements": [
                {
                    "cle": "2027:acompte_1:1",
                    "type": "acompte_1",
                    "numero": 1,
                    "libelle": "1er acompte 2027",
                    "montant": "4479.91",
                    "montant_affiche": "4\u00a0479,91\u00a0€",
                    "statut": "verse",
                    "statut_libelle": "Versé",
                    "date": "2027-02-10",
                    "declencheur": "validation de la déclaration prévisionnelle",
                    "explication": "35 % × 12 799,73 € (droit prévisionnel 2027)",
                    "plafonne": False,
                    "annonce": True,
                }
            ],
            "deja_verse": "4479.91",
            "a_venir": "3839.91",
            "droit": "12799.73",
            "base_du_droit": "previsionnel",
            "acomptes_verses": "4479.91",
            "solde": None,
            "indu": "0.00",
            "plafonnement": False,
            "ecart_previsionnel_reel": None,
            "reels_anterieurs": [],
            "message": None,
            "acomptes_anterieurs_non_connus": False,
        }
    )

    activite_id: uuid.UUID
    exercice: int
    politique: PolicyChoice | None
    paiements: list[Payment]
    deja_verse: Euros | None
    a_venir: Euros | None
    droit: Euros | None
    base_du_droit: str | None
    acomptes_verses: Euros | None
    solde: Euros | None
    indu: Euros | None
    plafonnement: bool
    ecart_previsionnel_reel: Euros | None
    reels_anterieurs: list[PriorActual]
    message: str | None = Field(description="Pourquoi il n'y a pas (encore) de paiement, ou ce qu'il faut en savoir")
    acomptes_anterieurs_non_connus: bool | None = None


class NoExplanation(BaseModel):
    """No amount could be computed (see ``erreur``): nothing to explain, an empty object.

    Not closed to additions (a reader tolerates fields added within the major version): an explanation, which has
    the fields of ``Explanation``, is read as one, being the better match."""


class Entitlement(BaseModel):
    model_config = example(
        {
            "declaration_id": "07176737-fa2a-439b-b703-293234d86223",
            "version_declaration": 1,
            "activite_id": ACTIVITY_ID,
            "partenaire_id": "9c1c8ee7-13f7-469a-92ce-b999d3809137",
            "caf": "080",
            "type_activite": "alsh",
            "nature": "periscolaire",
            "exercice": 2027,
            "type_declaration": "previsionnelle",
            "montant": "12799.73",
            "calculable": True,
            "provisoire": False,
            "erreur": None,
            "version_bareme": 0,
            "empreinte_bareme": "bc82bd2bc14a89d236b021ef1e90bf1d0ff14355",
            "valide_le": "2027-02-01T10:00:00+00:00",
            "calcule_le": "2027-02-01T10:00:01+00:00",
            "explication": {"famille": "alsh", "montant": "12799.73"},
        }
    )

    declaration_id: uuid.UUID
    version_declaration: int
    activite_id: uuid.UUID
    partenaire_id: uuid.UUID
    caf: str
    type_activite: str
    nature: str
    exercice: int
    type_declaration: str
    montant: Euros | None
    calculable: bool
    provisoire: bool
    erreur: str | None
    version_bareme: int | None
    empreinte_bareme: str | None
    valide_le: Timestamp
    calcule_le: Timestamp
    explication: Explanation | NoExplanation


class PriorPayments(BaseModel):
    model_config = example(
        {
            "activite_id": ACTIVITY_ID,
            "exercice": 2025,
            "acomptes": "28000.00",
            "solde_deja_verse": "0.00",
            "paiements_annonces": 0,
        }
    )

    activite_id: uuid.UUID
    exercice: int
    acomptes: Euros
    solde_deja_verse: Euros
    paiements_annonces: int = Field(description="Paiements à venir annoncés depuis, recalculés avec ces montants")


class PriorActualRecorded(BaseModel):
    model_config = example(
        {
            "activite_id": ACTIVITY_ID,
            "exercice": 2024,
            "droit_reel": "40852.00",
            "droit_previsionnel": None,
            "paiements_annonces": 0,
        }
    )

    activite_id: uuid.UUID
    exercice: int
    droit_reel: Euros
    droit_previsionnel: Euros | None
    paiements_annonces: int
