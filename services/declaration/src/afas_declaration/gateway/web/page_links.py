"""The pages' lists read one page at a time: the page asked in the address, and the links to the pages around."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import Request

from afas_declaration.application.keyset import PageRequest

CURSOR = "curseur"


def asked(request: Request) -> PageRequest:
    """The page the address names: its cursor (none: the first page); the size is the settings' default."""
    return PageRequest(curseur=request.query_params.get(CURSOR) or None)


def around(request: Request, page: dict) -> dict[str, str | None]:
    """« Page précédente » and « Page suivante »: this address with the cursor of the page before or after."""
    kept = [(name, value) for name, value in request.query_params.multi_items() if name != CURSOR]

    def link(cursor: str | None) -> str | None:
        return f"{request.url.path}?{urlencode([*kept, (CURSOR, cursor)])}" if cursor else None

    return {"precedente": link(page["curseur_precedent"]), "suivante": link(page["curseur_suivant"])}
