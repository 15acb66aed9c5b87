"""AFAS_* and OTEL_* variables: every name is a real setting, and each service gets the ones production requires."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from afas_shared.telemetry.otel_config import STANDARD_VARIABLE_NAMES

from .dockerfiles import dockerfile_env_names, dockerfile_path
from .documents import Doc
from .project import REPO_ROOT, SERVICES
from .settings_names import allowed_env_names, required_env_names
from .workloads import all_containers, data_keys, index_by_kind_and_name, pod_spec

_ENV_SOURCES = (("ConfigMap", "configMapRef"), ("Secret", "secretRef"))


def _env_names_in(doc: Doc) -> Iterator[str]:
    spec = pod_spec(doc)
    if spec is not None:
        for container in all_containers(spec):
            for env in container.get("env") or []:
                yield env.get("name", "")
            for source in container.get("envFrom") or []:
                if source.get("prefix"):
                    yield source["prefix"]
    # ConfigMaps and Secrets are checked too because envFrom turns their keys into variable names.
    if doc.kind in ("ConfigMap", "Secret"):
        yield from (doc.data.get("data") or {}).keys()
    if doc.kind == "Secret":
        yield from (doc.data.get("stringData") or {}).keys()


def check_env_names(docs: list[Doc]) -> list[str]:
    allowed = allowed_env_names()
    problems = [
        f"{doc.label()}: {name} is not a known AFAS setting"
        for doc in docs
        for name in _env_names_in(doc)
        if name.startswith("AFAS_") and name not in allowed
    ]
    # The services never complain of an OTEL_* name they do not know: a misspelt one would be ignored at run time.
    problems += [
        f"{doc.label()}: {name} is not an OpenTelemetry variable the services honour"
        for doc in docs
        for name in _env_names_in(doc)
        if name.startswith("OTEL_") and name not in STANDARD_VARIABLE_NAMES
    ]
    for svc in SERVICES:
        path = dockerfile_path(svc)
        if path.is_file():
            for name in dockerfile_env_names(path):
                if name not in allowed:
                    problems.append(f"{path.relative_to(REPO_ROOT)}: {name} is not a known AFAS setting")
    return problems


def _provided_env(container: dict[str, Any], index: dict[tuple[str, str], Doc]) -> set[str]:
    # An explicitly empty value counts as missing: the settings treat "" like an unset database URL.
    names = {env.get("name") for env in container.get("env") or [] if env.get("value") or env.get("valueFrom")}
    for source in container.get("envFrom") or []:
        for kind, ref_key in _ENV_SOURCES:
            ref = source.get(ref_key)
            doc = index.get((kind, ref.get("name"))) if ref else None
            if doc is not None:
                names |= {source.get("prefix", "") + key for key in data_keys(doc)}
    return names


def check_required_env(docs: list[Doc], images: dict[str, str]) -> list[str]:
    """Each service's Deployment sets what the service needs to start in production."""
    index = index_by_kind_and_name(docs)
    problems = []
    for svc in SERVICES:
        deployment = index.get(("Deployment", svc))
        if deployment is None:
            continue  # reported by the Deployment presence check
        containers = (pod_spec(deployment) or {}).get("containers") or []
        # Sidecars need not carry the service's settings; only the containers running its image do.
        app_containers = [c for c in containers if c.get("image") == images.get(svc)] or containers
        for container in app_containers:
            missing = sorted(required_env_names(svc) - _provided_env(container, index))
            for name in missing:
                problems.append(
                    f"{deployment.label()}: container {container.get('name')}: {name} is required in production"
                )
    return problems
