"""The web entry page: for now, the platform's state in French (the journeys come with their issue)."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from afas_declaration.application.status import platform_status
from afas_declaration.config import Settings
from afas_shared.runtime import ServiceRuntime

PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>AFAS — état de la plateforme</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/status.css"></head>
<body><h1>Déclarations des partenaires — AFAS</h1>
<p>{summary}</p>
<table><caption>État des services</caption><thead><tr><th scope="col">Service</th><th scope="col">Version</th>
<th scope="col">Base de données</th><th scope="col">État</th></tr></thead><tbody>{rows}</tbody></table>
<p><a href="/docs">Documentation de l'API</a></p></body></html>"""


# Served as a file, not inline: the Content-Security-Policy allows styles from 'self' only
STYLE = """body{font-family:system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem;color:#1e1e1e}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem;border-bottom:1px solid #ddd}
.ok{color:#18753c}.ko{color:#ce0500;font-weight:bold}
"""


def router(runtime: ServiceRuntime, settings: Settings) -> APIRouter:
    web = APIRouter(include_in_schema=False)

    @web.get("/static/status.css")
    async def style() -> Response:
        return Response(STYLE, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})

    @web.get("/", response_class=HTMLResponse)
    async def home() -> HTMLResponse:
        report = await platform_status(runtime, settings.status_timeout_seconds)
        rows = [
            f"<tr><td>{escape(s['name'])}</td><td>{escape(s['version'])}</td><td>{escape(s['database'])}</td>"
            f'<td class="{"ok" if s["ready"] else "ko"}">{"prêt" if s["ready"] else "pas prêt"}</td></tr>'
            for s in report.services
        ] + [
            f'<tr><td>{escape(n)}</td><td>—</td><td>—</td><td class="ko">ne répond pas</td></tr>'
            for n in report.unavailable
        ]
        summary = (
            "Tous les services sont opérationnels."
            if report.ready
            else "Service(s) indisponible(s) : " + escape(", ".join(report.not_ready()))
        )
        return HTMLResponse(PAGE.format(summary=summary, rows="".join(rows)), status_code=200 if report.ready else 503)

    return web
