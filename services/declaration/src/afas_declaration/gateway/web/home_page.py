"""Accueil: welcome with the previous login, the « Vous avez N déclarations à saisir » alert, direct accesses."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from afas_declaration.application import caf_documents, declaration_list, instruction, thread_counts
from afas_declaration.application.keyset import PageRequest
from afas_declaration.gateway.clients.service_calls import call_local
from afas_declaration.gateway.web.guide_pages import guides_for
from afas_declaration.gateway.web.pages import Viewer, render
from afas_shared.auth.caller import forwarded_caller
from afas_shared.runtime import ServiceRuntime


def router(runtime: ServiceRuntime, viewer) -> APIRouter:
    web = APIRouter(include_in_schema=False)

    @web.get("/accueil", response_class=HTMLResponse)
    async def home(request: Request, me: Viewer = Depends(viewer)) -> HTMLResponse:
        caller = forwarded_caller(me.caller.rpc())
        context = {"titre": "Accueil", "rubrique": "accueil", "guides": guides_for(me)}
        if me.is_caf:
            first = await call_local(instruction.queue(runtime, caller, request=PageRequest(limite=1)))
            context["a_instruire"] = first["total"]
        else:
            context["alerte"] = await call_local(declaration_list.awaiting_input(runtime, caller))
            context["documents_non_ouverts"] = await call_local(caf_documents.unopened(runtime, caller))
            context["non_lus"] = await call_local(thread_counts.for_partner(runtime, caller))
        return render(request, "accueil.html", context, viewer=me)

    return web
