"""The web frontend: server-rendered French pages on the same use cases as the API, served by the gateway.

Why server-rendered (Jinja2) with a little plain JavaScript rather than a single-page application: every page
works without JavaScript (forms post and re-render), accessibility comes from plain HTML (labels, fieldsets,
error summaries), there is no build step and no asset from a CDN, and authorization stays where the API checks
it. The script only adds autosave, the live estimate and the idle-logout warning.
"""

from __future__ import annotations

from fastapi import APIRouter

from afas_declaration.config import Settings
from afas_declaration.gateway.clients.typed_calls import call_typed
from afas_declaration.gateway.web import (
    admin_pages,
    attachment_pages,
    auth_pages,
    bareme_pages,
    caf_activity_pages,
    caf_campaign_exports,
    caf_campaign_pages,
    caf_document_pages,
    caf_pages,
    caf_partner_pages,
    declaration_pages,
    guide_pages,
    home_page,
    local_rule_pages,
    messages_page,
    pilotage_page,
    static_files,
    status_page,
    thread_pages,
)
from afas_declaration.gateway.web.pages import viewer_dependency
from afas_shared.contracts.rpc.base import Empty
from afas_shared.runtime import ServiceRuntime


def routers(runtime: ServiceRuntime, settings: Settings, current_caller) -> list[APIRouter]:
    async def who_am_i(caller) -> dict:
        return await call_typed(runtime, "identity", "whoami", Empty())

    viewer = viewer_dependency(current_caller, settings.csrf_secret, who_am_i)
    return [
        static_files.router(),
        status_page.router(runtime, settings),
        auth_pages.router(runtime, viewer),
        home_page.router(runtime, viewer),
        guide_pages.router(viewer),
        declaration_pages.router(runtime, viewer),
        attachment_pages.router(runtime, viewer),
        thread_pages.router(runtime, viewer),
        admin_pages.router(runtime, viewer),
        caf_pages.router(runtime, viewer),
        caf_partner_pages.router(runtime, viewer),
        caf_activity_pages.router(runtime, viewer),
        caf_campaign_pages.router(runtime, viewer),
        caf_campaign_exports.router(runtime, viewer),
        pilotage_page.router(runtime, viewer),
        messages_page.router(runtime, viewer),
        caf_document_pages.router(runtime, viewer),
        bareme_pages.router(runtime, viewer),
        local_rule_pages.router(runtime, viewer),
    ]
