"""Wires the declaration service: runtime, consumers, RPC handlers, the gateway and the web pages."""

from __future__ import annotations

from typing import Any

from fastapi.exceptions import RequestValidationError

from afas_declaration import SERVICE, __version__
from afas_declaration.config import Settings
from afas_declaration.entrypoints import (
    activity_routes,
    auth_routes,
    bus,
    campaign_routes,
    directory_routes,
    estimation_routes,
    form_routes,
    gateway,
    grant_routes,
    http,
    notification_routes,
    permission_routes,
    review_routes,
    transmission_routes,
    web,
)
from afas_declaration.entrypoints.caller import caller_dependency
from afas_declaration.entrypoints.idempotent import IdempotencyMiddleware, document_header
from afas_declaration.entrypoints.rate_limit import RateLimit, RateLimitMiddleware
from afas_declaration.entrypoints.security_headers import SecurityHeadersMiddleware
from afas_declaration.entrypoints.validation_messages import french_validation_errors
from afas_declaration.entrypoints.web import pages
from afas_shared.runtime import ServiceRuntime
from afas_shared.settings import Environment

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


def build(settings: Settings, **runtime_options: Any) -> ServiceRuntime:
    settings.require_secret("admin_token")
    settings.require_secret("csrf_secret")
    if settings.common.env is not Environment.LOCAL and settings.csrf_secret == settings.admin_token:
        # a key of its own: the operator's secret must not also sign every page's CSRF token
        raise ValueError(f"{settings.env_var('csrf_secret')} must differ from {settings.env_var('admin_token')}")
    runtime = ServiceRuntime(SERVICE, __version__, "afas_declaration", settings, **runtime_options)
    runtime.accept_sessions()
    bus.register(runtime)
    runtime.include_router(http.router(runtime))
    runtime.include_router(gateway.router(runtime, settings))
    current_caller = caller_dependency(runtime, settings)
    runtime.include_router(auth_routes.router(runtime, current_caller))
    runtime.include_router(directory_routes.router(runtime, current_caller))
    runtime.include_router(activity_routes.router(runtime, current_caller))
    runtime.include_router(grant_routes.router(runtime, current_caller))
    runtime.include_router(campaign_routes.router(runtime, current_caller))
    runtime.include_router(form_routes.router(runtime, current_caller))
    runtime.include_router(permission_routes.router(runtime, current_caller))
    runtime.include_router(review_routes.router(runtime, current_caller))
    runtime.include_router(transmission_routes.router(runtime, current_caller))
    runtime.include_router(notification_routes.router(runtime, current_caller))
    runtime.include_router(estimation_routes.router(runtime, current_caller))
    runtime.exception_handlers[RequestValidationError] = french_validation_errors
    for page_router in web.routers(runtime, settings, current_caller):
        runtime.include_router(page_router)
    runtime.exception_handlers[pages.PageRedirect] = pages.redirect_to_login
    runtime.exception_handlers[pages.PageUnavailable] = pages.unavailable_page
    runtime.openapi_customizers.append(lambda schema: document_header(schema, settings.idempotency_lease_seconds))
    runtime.http_middleware += [
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
            },
        ),
        (SecurityHeadersMiddleware, {}),
    ]
    return runtime
