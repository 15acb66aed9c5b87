"""« État de la plateforme »: each service's readiness in French, for operators and for `make run`."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from afas_declaration.application.status import platform_status
from afas_declaration.config import Settings
from afas_shared.french_plural import plural
from afas_shared.runtime import ServiceRuntime

PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>AFAS — état de la plateforme</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/static/afas.css"></head>
<body><main><h1>Déclarations des partenaires — AFAS</h1>
<p>{summary}</p>
<div class="tableau" tabindex="0"><table><caption>État des services</caption><thead><tr>
<th scope="col">Service</th><th scope="col">Version</th><th scope="col">Base de données</th><th scope="col">État</th>
</tr></thead><tbody>{rows}</tbody></table></div>
<p><a href="/connexion">Se connecter</a> — <a href="/docs">Documentation de l'API</a></p></main></body></html>"""


def router(runtime: ServiceRuntime, settings: Settings) -> APIRouter:
    web = APIRouter(include_in_schema=False)

    @web.get("/etat", response_class=HTMLResponse)
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
            else plural(len(report.not_ready()), "Service indisponible", "Services indisponibles")
            + " : "
            + escape(", ".join(report.not_ready()))
        )
        return HTMLResponse(PAGE.format(summary=summary, rows="".join(rows)), status_code=200 if report.ready else 503)

    return web
