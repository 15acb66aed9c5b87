"""The transmitted snapshot the receipt tests render, and the PDF's text as they read it."""

from __future__ import annotations

import io
from typing import Any

from pypdf import PdfReader

HASH = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


def snapshot(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "declaration_id": "3f2b8c1e-5d1a-4a2b-9c3d-0123456789ab",
        "version": 1,
        "hash": HASH,
        "partenaire": {"nom": "Commune d'Amiens", "siret": "21800021900004", "caf": "080"},
        "activite": {
            "nom": "Multi-accueil Les Lutins",
            "famille": "eaje_psu",
            "famille_libelle": "EAJE - PSU",
            "nature": "multi_accueil",
            "nature_libelle": "Multi-accueil",
            "numero": "EAJE0801",
        },
        "exercice": 2026,
        "type_declaration": "previsionnelle",
        "type_libelle": "Prévisionnelle",
        "formulaires": [
            {
                "type": "activite",
                "titre": "Données d'activité",
                "lieu": "Site A",
                "sections": [
                    {
                        "libelle": "Capacité et ouverture",
                        "champs": [
                            {
                                "id": "places",
                                "libelle": "Nombre de places agréées",
                                "valeur": "40",
                                "unite": "places",
                                "type": "integer",
                            },
                            {"id": "heures", "libelle": "Heures facturées", "valeur": "61234.5", "type": "hours"},
                            {"id": "taux", "libelle": "Taux d'occupation", "valeur": "107", "type": "percent"},
                            {"id": "repas", "libelle": "Repas fournis", "valeur": True, "type": "boolean"},
                            {"id": "couches", "libelle": "Couches fournies", "valeur": "false", "type": "boolean"},
                            {"id": "commentaire", "libelle": "Commentaire", "valeur": None, "type": "text"},
                        ],
                    }
                ],
            },
            {
                "type": "financier",
                "titre": "Budget prévisionnel",
                "lieu": None,
                "sections": [
                    {
                        "libelle": "Charges",
                        "champs": [
                            {
                                "id": "charges_60",
                                "libelle": "60 - Achats",
                                "valeur": "12500.50",
                                "unite": "€",
                                "type": "euros",
                            },
                            {
                                "id": "charges_64",
                                "libelle": "64 - Charges de personnel",
                                "valeur": "-3.2",
                                "type": "euros",
                            },
                        ],
                    }
                ],
            },
        ],
        "controles": [
            {
                "id": "taux_facturation",
                "severite": "flagged",
                "statut": "anomalie",
                "libelle": "Taux de facturation",
                "message": "Taux de facturation : 112,40 % mesuré, seuil 107 %",
                "lieu": None,
                "unite": "%",
                "justification": {
                    "texte": "Œuvre « exceptionnelle » de l’été : fermeture d’un site.",
                    "montant": "112.4",
                },
            },
            {
                "id": "heures_realisees_ecart",
                "severite": "flagged",
                "statut": "anomalie",
                "libelle": "Écart des heures réalisées",
                "message": "Heures réalisées en hausse de 12 %",
                "lieu": None,
                "unite": "h",
                "justification": {"texte": "Ouverture d'une section le samedi matin.", "montant": "800"},
            },
            {
                "id": "charges_ecart",
                "severite": "flagged",
                "statut": "anomalie",
                "libelle": "Écart des charges",
                "message": "Charges en hausse de 15 %",
                "lieu": None,
                "unite": "€",
                "justification": {"texte": "Recrutement d'une auxiliaire.", "montant": "1200.00"},
            },
            {
                "id": "equilibre",
                "severite": "blocking",
                "statut": "ok",
                "libelle": "Équilibre du budget",
                "message": "Le budget est équilibré.",
                "lieu": "Site A",
                "justification": None,
            },
        ],
        "estimation": {
            "disponible": True,
            "montant": "123456.78",
            "provisoire": False,
            "avertissements": [
                "Cette estimation repose sur des valeurs dont la source publique n'a pas été trouvée et qui restent "
                "à confirmer par la Caf : « Prix plafond horaire maximal »."
            ],
            "etapes": [
                {"libelle": "Prix de revient horaire", "valeur": "9.12", "unite": "€/h", "affichage": "9,12 €/h"},
                {"libelle": "Bonus territoire", "valeur": "non applicable : aucune place déclarée", "unite": ""},
            ],
            # as estimation's estimate answer sends them (domain/explanation.parameter_json)
            "parametres": [
                {
                    "nom": "taux_ps",
                    "libelle": "Taux de prise en charge",
                    "valeur": "0.66",
                    "unite": "/1",
                    "affichage": "66 %",
                    "applicable_depuis": "2014-01-01",
                    "provenance": "Circulaire Psu — Cnaf — 26/03/2014 — Circulaire Cnaf n° 2014-009",
                    "source": True,
                    "provisoire": False,
                },
                {
                    "nom": "prix_plafond_maximum",
                    "libelle": "Prix plafond horaire maximal",
                    "valeur": "9.22",
                    "unite": "€/h",
                    "affichage": "9,22 €/h",
                    "applicable_depuis": "2025-01-01",
                    "provenance": "non sourcé — à confirmer par la Caf",
                    "source": False,
                    "provisoire": True,
                },
                {
                    "nom": "bareme_degressif",
                    "libelle": "Prix plafond dégressif",
                    "valeur": "true",
                    "unite": "",
                    "affichage": "oui",
                    "applicable_depuis": "2025-01-01",
                    "provenance": "Réforme — Caf du Loiret — 01/07/2024 — caf45-partenaires.fr",
                    "source": True,
                    "provisoire": False,
                },
            ],
        },
        "informations_complementaires": "Ouverture d'une section de 6 places en septembre.",
        "signataire": {"nom": "Karim Benali", "identifiant": "200000002", "role": "Approbateur"},
        "transmise_le": "2026-02-10T14:32:05+01:00",
    }
    base.update(overrides)
    return base


def pages_text(pdf: bytes) -> list[str]:
    """The text of every page; the no-break spaces of French numbers read as plain spaces."""
    reader = PdfReader(io.BytesIO(pdf))
    return [page.extract_text().replace("\u00a0", " ").replace("\u202f", " ") for page in reader.pages]


def text_of(pdf: bytes) -> str:
    return "\n".join(pages_text(pdf))


def flat(pdf: bytes) -> str:
    """The text as one line: a phrase wrapped over two lines is still found."""
    return " ".join(text_of(pdf).split())
