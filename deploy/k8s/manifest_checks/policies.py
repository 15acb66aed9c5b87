"""AFAS policies over the rendered objects: every service deployed, hardened, probed and configured."""

from __future__ import annotations

from typing import Any

from .dockerfiles import dockerfile_images
from .documents import Doc
from .env_policy import check_env_names, check_required_env
from .exposure import check_exposure
from .project import HTTP_PORT, INTERNAL_PORT, NON_ROOT_UID, SERVICES
from .references import check_references
from .scaling import check_scaling
from .workloads import index_by_kind_and_name, pod_spec


def _http_get_path(container: dict[str, Any], probe: str) -> str | None:
    return (((container.get(probe) or {}).get("httpGet")) or {}).get("path")


def _check_security_context(sc: dict[str, Any], pod_sc: dict[str, Any], where: str) -> list[str]:
    problems = []
    if sc.get("runAsNonRoot") is not True:
        problems.append(f"{where}: securityContext.runAsNonRoot must be true")
    if sc.get("runAsUser", pod_sc.get("runAsUser")) != NON_ROOT_UID:
        problems.append(f"{where}: runAsUser must be {NON_ROOT_UID} (the image's user)")
    if sc.get("allowPrivilegeEscalation") is not False:
        problems.append(f"{where}: securityContext.allowPrivilegeEscalation must be false")
    if sc.get("readOnlyRootFilesystem") is not True:
        problems.append(f"{where}: securityContext.readOnlyRootFilesystem must be true")
    if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
        problems.append(f"{where}: securityContext.capabilities.drop must contain ALL")
    return problems


def _check_container(container: dict[str, Any], pod_sc: dict[str, Any], images: set[str]) -> list[str]:
    where = f"container {container.get('name')}"
    problems = []
    image = container.get("image")
    if image not in images:
        problems.append(f"{where}: image {image!r} is not built by a service Dockerfile {sorted(images)}")
    if _http_get_path(container, "livenessProbe") != "/healthz":
        problems.append(f"{where}: livenessProbe must be httpGet /healthz")
    if _http_get_path(container, "readinessProbe") != "/readyz":
        problems.append(f"{where}: readinessProbe must be httpGet /readyz")
    if not container.get("startupProbe"):
        problems.append(f"{where}: startupProbe is missing")
    resources = container.get("resources") or {}
    for section in ("requests", "limits"):
        for resource in ("cpu", "memory"):
            if resource not in (resources.get(section) or {}):
                problems.append(f"{where}: resources.{section}.{resource} is missing")
    problems.extend(_check_security_context(container.get("securityContext") or {}, pod_sc, where))
    ports = {p.get("name"): p.get("containerPort") for p in container.get("ports") or []}
    if ports.get("http") != HTTP_PORT:
        problems.append(f"{where}: needs a port named http on {HTTP_PORT}")
    if ports.get("internal") != INTERNAL_PORT:
        problems.append(f"{where}: needs a port named internal on {INTERNAL_PORT} (/internal/*, /metrics)")
    return problems


def _check_deployment(doc: Doc, images: set[str]) -> list[str]:
    problems = []
    spec = pod_spec(doc) or {}
    pod_sc = spec.get("securityContext") or {}
    if pod_sc.get("runAsNonRoot") is not True:
        problems.append("pod securityContext.runAsNonRoot must be true")
    if (pod_sc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
        problems.append("pod securityContext.seccompProfile.type must be RuntimeDefault")
    containers = spec.get("containers") or []
    for container in containers:
        problems.extend(_check_container(container, pod_sc, images))
    if not any(m.get("mountPath") == "/tmp" for c in containers for m in c.get("volumeMounts") or []):
        problems.append("a writable volume must be mounted at /tmp (read-only root filesystem)")
    annotations = ((doc.data.get("spec") or {}).get("template") or {}).get("metadata", {}).get("annotations") or {}
    if annotations.get("prometheus.io/scrape") == "true" and annotations.get("prometheus.io/port") != str(
        INTERNAL_PORT
    ):
        problems.append(f"prometheus.io/port must be the internal port {INTERNAL_PORT}: /metrics is served there only")
    return problems


def _check_services_deployed(docs: list[Doc], images: dict[str, str]) -> list[str]:
    problems = []
    index = index_by_kind_and_name(docs)
    for svc in SERVICES:
        deployment = index.get(("Deployment", svc))
        service = index.get(("Service", svc))
        if deployment is None:
            problems.append(f"service {svc}: Deployment {svc!r} is missing")
        else:
            containers = (pod_spec(deployment) or {}).get("containers") or []
            if svc in images and not any(c.get("image") == images[svc] for c in containers):
                problems.append(f"{deployment.label()}: does not run its image {images[svc]!r}")
        if service is None:
            problems.append(f"service {svc}: Service {svc!r} is missing")
        else:
            ports = (service.data.get("spec") or {}).get("ports") or []
            if not any(
                p.get("name") == "http" and p.get("port") == 80 and p.get("targetPort") in ("http", HTTP_PORT)
                for p in ports
            ):
                problems.append(f"{service.label()}: needs port http 80 -> 8080")
            if any(p.get("targetPort") in ("internal", INTERNAL_PORT) for p in ports):
                problems.append(f"{service.label()}: must not expose the internal port ({INTERNAL_PORT})")
    return problems


def check_policies(docs: list[Doc], images: dict[str, str] | None = None) -> list[str]:
    """AFAS-specific checks over the rendered objects; returns problem messages."""
    images = dockerfile_images() if images is None else images
    problems = []
    if set(images) != set(SERVICES):
        missing = sorted(set(SERVICES) - set(images))
        problems.append(f"Dockerfiles without a documented `docker build ... -t IMAGE` line: {missing}")
    problems.extend(_check_services_deployed(docs, images))
    image_set = set(images.values())
    for doc in docs:
        if doc.kind == "Deployment":
            problems.extend(f"{doc.label()}: {msg}" for msg in _check_deployment(doc, image_set))
    problems.extend(check_env_names(docs))
    problems.extend(check_required_env(docs, images))
    problems.extend(check_references(docs))
    problems.extend(check_scaling(docs))
    problems.extend(check_exposure(docs))
    return problems
