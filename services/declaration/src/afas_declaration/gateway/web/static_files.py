"""The pages' own stylesheet and script, served from the package: no CDN, nothing fetched at run time."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException
from fastapi.responses import FileResponse

from afas_declaration.gateway.web.pages import STATIC

TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}


def router() -> APIRouter:
    web = APIRouter(include_in_schema=False)

    @web.get("/static/{name}")
    async def asset(name: str) -> FileResponse:
        path = STATIC / name
        if "/" in name or name.startswith(".") or path.suffix not in TYPES or not path.is_file():
            raise HTTPException(404, "Fichier introuvable.")
        return FileResponse(path, media_type=TYPES[path.suffix], headers={"Cache-Control": "public, max-age=300"})

    return web
