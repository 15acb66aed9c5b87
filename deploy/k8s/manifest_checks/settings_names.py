"""AFAS_* environment variable names, derived from the services' pydantic settings classes.

Deriving them (instead of listing them) means a renamed or removed setting makes the manifests fail
validation instead of being silently ignored by pydantic-settings (``extra="ignore"``).
"""

from __future__ import annotations

import importlib
from functools import cache

from pydantic_settings import BaseSettings

from afas_shared.settings import LOCAL_ONLY_SECRET, CommonSettings, ServiceSettings

from .project import SERVICES

# A nested model filled from CommonSettings by the service at start-up, not read from the environment.
_NOT_FROM_ENV = frozenset({"common"})


def service_settings(svc: str) -> type[ServiceSettings]:
    return importlib.import_module(f"afas_{svc}.config").Settings


def _env_name(settings_cls: type[BaseSettings], field: str) -> str:
    return f"{settings_cls.model_config.get('env_prefix', '')}{field}".upper()


def _env_names(settings_cls: type[BaseSettings]) -> frozenset[str]:
    return frozenset(_env_name(settings_cls, f) for f in settings_cls.model_fields if f not in _NOT_FROM_ENV)


@cache
def allowed_env_names() -> frozenset[str]:
    """Every AFAS_* variable some service reads."""
    names = set(_env_names(CommonSettings))
    for svc in SERVICES:
        names |= _env_names(service_settings(svc))
    return frozenset(names)


@cache
def required_env_names(svc: str) -> frozenset[str]:
    """Variables without which the service refuses to start with ``AFAS_ENV=production``.

    ServiceSettings rejects an empty database URL or NATS password in production, and ``require_secret`` rejects a field
    still holding the development placeholder secret outside local mode.
    """
    settings_cls = service_settings(svc)
    fields = {"database_url", "nats_password"} | {
        name for name, info in settings_cls.model_fields.items() if info.default == LOCAL_ONLY_SECRET
    }
    return frozenset(_env_name(settings_cls, name) for name in fields)
