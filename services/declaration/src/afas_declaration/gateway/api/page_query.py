"""The query parameters of a paginated list (``limite``, ``curseur``), the same on every list of the API."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Query

from afas_declaration.application.keyset import PageRequest
from afas_shared.runtime import ServiceRuntime

PAGINATION = (
    "Une page à la fois : `limite` lignes (50 par défaut), puis la page suivante avec `curseur` = le "
    "`curseur_suivant` de la réponse (null sur la dernière page) ; `total` compte toute la liste, filtres appliqués."
)


def page_request(runtime: ServiceRuntime) -> Callable[..., PageRequest]:
    """The dependency reading a page's parameters, its maximum size from the settings."""
    maximum = runtime.settings.list_page_max  # type: ignore[attr-defined]

    # async, though it awaits nothing: FastAPI runs a plain function dependency in its thread pool, a thread
    # hand-off per request (6 % of the list's CPU under bench-reads)
    async def read(
        limite: int | None = Query(None, ge=1, le=maximum, description=f"Lignes par page, {maximum} au plus"),
        curseur: str | None = Query(None, max_length=2000, description="Le `curseur_suivant` d'une page lue"),
    ) -> PageRequest:
        return PageRequest(limite, curseur)

    return read
