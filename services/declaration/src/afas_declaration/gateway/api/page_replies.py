"""The paginated lists of the public API: one page of rows, the list's total and the cursors around the page.

Every list a user may see grow without bound is read a page at a time (keyset pagination,
``afas_declaration.application.keyset``): ``limite`` rows (the settings' default otherwise) after the ``curseur``
of the previous reply; ``curseur_suivant`` is null on the last page.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from afas_declaration.gateway.api.declaration_replies import DeclarationLine
from afas_declaration.gateway.api.reply_fields import example
from afas_declaration.gateway.api.review_replies import QueuedDeclaration

NEXT = "WyJkZWNsYXJhdGlvbnMiLCJhcHJlcyIsWzIwMjcsIkFMU0ggTGVzIENvY2NpbmVsbGVzIiwiNzUwNWM4YTMiXV0"


def _sample_of(model: type[BaseModel]) -> dict[str, Any]:
    return model.model_config["json_schema_extra"]["examples"][0]  # type: ignore[index]


def _page_example(model: type[BaseModel]) -> dict[str, Any]:
    return {
        "elements": [_sample_of(model)],
        "total": 20006,
        "debut": 1,
        "fin": 1,
        "curseur_suivant": NEXT,
        "curseur_precedent": None,
    }


class PageFields(BaseModel):
    total: int = Field(description="Le nombre de lignes de toute la liste, filtres appliqués")
    debut: int = Field(description="Le rang (à partir de 1) de la première ligne de la page ; 0 si elle est vide")
    fin: int = Field(description="Le rang de la dernière ligne de la page ; 0 si elle est vide")
    curseur_suivant: str | None = Field(description="À passer en `curseur` pour la page suivante ; null à la fin")
    curseur_precedent: str | None = Field(description="À passer en `curseur` pour la page précédente ; null au début")


class DeclarationPage(PageFields):
    model_config = example(_page_example(DeclarationLine) | {"total_approche": False})

    elements: list[DeclarationLine]
    total_approche: bool = Field(
        default=False,
        description=(
            "Vrai quand `total` est celui d'un compte de quelques secondes (la première page d'une longue liste de "
            "Caf) : à lire « environ »"
        ),
    )


class QueuePage(PageFields):
    model_config = example(_page_example(QueuedDeclaration))

    elements: list[QueuedDeclaration]
