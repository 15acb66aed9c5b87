"""The public gateway, kept inside the declaration service by design but apart from its core.

``api/`` is the public ``/api/v1``, ``web/`` the pages, ``session/`` who is calling, ``hardening/`` what protects
every request (rate limits, security headers, idempotency), ``clients/`` the calls to the services behind it.
Declaration's domain, application and adapters never import this package (an architecture test checks it).
"""

from __future__ import annotations

from afas_declaration.config import Settings
from afas_declaration.gateway.api import (
    activity_routes,
    attachment_routes,
    auth_routes,
    caf_document_routes,
    campaign_routes,
    directory_routes,
    estimation_routes,
    form_routes,
    grant_routes,
    job_routes,
    notification_routes,
    permission_routes,
    platform_routes,
    review_routes,
    thread_routes,
    transmission_routes,
)
from afas_declaration.gateway.api.openapi_security import document_security
from afas_declaration.gateway.hardening.idempotent import IdempotencyMiddleware, document_header
from afas_declaration.gateway.hardening.rate_limit import RateLimit, RateLimitMiddleware
from afas_declaration.gateway.hardening.security_headers import SecurityHeadersMiddleware
from afas_declaration.gateway.session.caller import caller_dependency
from afas_declaration.gateway.session.one_access import OneAccessPerRequest
from afas_declaration.gateway.web import error_pages, pages, routers
from afas_shared.runtime import ServiceRuntime

# Where guessing is tried: credentials and reset links (not every /auth/ call, e.g. the session refresh), through
# the API and through the pages' forms alike (/connexion, /mot-de-passe-oublie, /mot-de-passe/nouveau, /mot-de-passe,
# /activation): one bucket per address for all of them
LOGIN_PATHS = (
    "/api/v1/auth/login",
    "/api/v1/auth/activation",
    "/api/v1/auth/password",
    "/connexion",
    "/mot-de-passe",
    "/activation",
)
API_ROUTERS = (
    auth_routes,
    directory_routes,
    activity_routes,
    grant_routes,
    campaign_routes,
    job_routes,
    form_routes,
    permission_routes,
    review_routes,
    transmission_routes,
    attachment_routes,
    caf_document_routes,
    thread_routes,
    notification_routes,
    estimation_routes,
)


def install(runtime: ServiceRuntime, settings: Settings) -> None:
    """Mounts the public API, the pages and the hardening middleware on the declaration service's app."""
    runtime.accept_sessions()
    runtime.include_router(platform_routes.router(runtime, settings))
    current_caller = caller_dependency(runtime, settings)
    for module in API_ROUTERS:
        runtime.include_router(module.router(runtime, current_caller))
    # French HTML error pages for the pages' addresses; /api/ keeps its JSON (French validation messages included)
    error_pages.install(runtime.exception_handlers)
    for page_router in routers(runtime, settings, current_caller):
        runtime.include_router(page_router)
    runtime.exception_handlers[pages.PageRedirect] = pages.redirect_to_login
    runtime.exception_handlers[pages.PageUnavailable] = pages.unavailable_page
    runtime.openapi_customizers.append(lambda schema: document_header(schema, settings.idempotency_lease_seconds))
    runtime.openapi_customizers.append(
        lambda schema: document_security(schema, [r for api in runtime.routers for r in api.routes], current_caller)
    )
    runtime.http_middleware += [
        (OneAccessPerRequest, {}),
        (IdempotencyMiddleware, {"runtime": runtime, "admin_token": settings.admin_token}),
        (
            RateLimitMiddleware,
            {
                "default": RateLimit(settings.rate_limit_per_second, settings.rate_limit_burst),
                "strict": RateLimit.per_minute(
                    settings.login_rate_limit_per_minute, settings.login_rate_limit_per_minute
                ),
                "strict_prefixes": LOGIN_PATHS,
                "session_cookie": "afas_session",
                "refusal": error_pages.too_many_requests_page,  # a French page for the pages, JSON for /api/
            },
        ),
        (SecurityHeadersMiddleware, {}),
    ]
