"""Request bodies of the catalogue and grants part of the public API."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from pydantic import Field

from afas_shared.text import InputModel


class ActivityBody(InputModel):
    partenaire_id: uuid.UUID
    type: str = Field(max_length=30, examples=["alsh"], description="Famille de prestation de service")
    nature: str = Field(max_length=40, examples=["periscolaire"])
    nom: str = Field(min_length=1, max_length=200, examples=["ALSH Les Coccinelles"])
    mode_lieux: str = Field(default="mono_lieu", max_length=30, examples=["multi_lieux_antennes"])
    lieux: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=100, examples=[["École Jules Ferry", "École Victor Hugo"]]
    )
    date_ouverture: date
    date_fermeture: date | None = None
    places: int | None = Field(default=None, ge=-1_000_000, le=1_000_000)  # the domain says which counts are valid
    ideq: str | None = Field(default=None, max_length=50, examples=["ALSH0801"])
    dossier_afc: str | None = Field(default=None, max_length=50, examples=["800123"])


class ActivityClosing(InputModel):
    date_fermeture: date


class ScopeItem(InputModel):
    activite_id: uuid.UUID
    lieu_id: uuid.UUID | None = None


class GrantBody(InputModel):
    utilisateur_id: uuid.UUID
    role: Literal["fda", "fdf", "approbateur"] = Field(
        description="Fournisseur de données d'activité, Fournisseur de données financières, Approbateur"
    )
    perimetre: list[ScopeItem] = Field(default_factory=list, description="Des activités, ou des lieux d'implantation")
    toutes_activites: bool = Field(default=False, description="Sélectionner toutes les activités du partenaire")
    date_debut: date | None = None
    date_fin: date | None = None


class Refusal(InputModel):
    multiline_fields = frozenset({"motif"})  # typed in a textarea: line breaks allowed
    motif: str = Field(min_length=1, max_length=500)
