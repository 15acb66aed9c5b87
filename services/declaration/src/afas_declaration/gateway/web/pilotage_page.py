"""Pilotage: the management ratios of the partner's activities over the years, against similar activities."""

from __future__ import annotations

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import HTMLResponse

from afas_declaration.application import management_ratios
from afas_declaration.gateway.clients.service_calls import call_local
from afas_declaration.gateway.web.charts import grouped_bars
from afas_declaration.gateway.web.declaration_pages import failure_page
from afas_declaration.gateway.web.pages import Viewer, render
from afas_shared.auth.caller import forwarded_caller
from afas_shared.runtime import ServiceRuntime


def router(runtime: ServiceRuntime, viewer) -> APIRouter:
    web = APIRouter(include_in_schema=False)

    @web.get("/pilotage", response_class=HTMLResponse)
    async def pilotage(request: Request, me: Viewer = Depends(viewer)) -> HTMLResponse:
        try:
            activities = await call_local(management_ratios.pilotage(runtime, forwarded_caller(me.caller.rpc())))
        except HTTPException as refusal:
            return failure_page(request, me, refusal)
        for activity in activities:
            years = [str(y["exercice"]) for y in activity["annees"]]
            activity["graphiques"] = [
                {
                    "id": f"{activity['activite_id']}-{name}",
                    "titre": label,
                    "unite": unit,
                    "chart": grouped_bars(
                        years,
                        [activity["activite"], "Médiane des activités comparables"],
                        [[y["ratios"][name], y["medianes"][name]] for y in activity["annees"]],
                        unit,
                    ),
                    "lignes": [
                        (y["exercice"], y["ratios"][name], y["medianes"][name], y["comparables"])
                        for y in activity["annees"]
                    ],
                }
                for name, (label, unit) in management_ratios.RATIOS.items()
            ]
        context = {"titre": "Pilotage de mes activités", "rubrique": "pilotage", "activites": activities}
        return render(request, "pilotage.html", context, viewer=me)

    return web
