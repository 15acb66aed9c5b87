"""Offline checks of the service Dockerfiles, and of the internal port (/metrics, /internal/*) in the Kubernetes
manifests: scraped there, never exposed by a Service."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.deploy.k8s_manifest_checks import SERVICES, _app_container, validate

# --- Dockerfiles ------------------------------------------------------------------------------------


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    logical, current = [], ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        logical.append(current)
        current = ""
    pairs = [item.split(None, 1) for item in logical]
    return [(parts[0].upper(), parts[1] if len(parts) > 1 else "") for parts in pairs]


@pytest.mark.parametrize("svc", SERVICES)
def test_dockerfile(svc, objects):
    path = validate.dockerfile_path(svc)
    instructions = _instructions(path)
    froms = [args for ins, args in instructions if ins == "FROM"]
    assert len(froms) >= 2, "multi-stage build expected"
    assert all("python:3.11-slim" in args or "${PYTHON_IMAGE}" in args for args in froms)
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in path.read_text()

    users = [args for ins, args in instructions if ins == "USER"]
    assert users, "no USER instruction"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0") and user.isdigit() and int(user) == validate.NON_ROOT_UID
    last_user_at = max(i for i, (ins, _) in enumerate(instructions) if ins == "USER")
    assert all(ins != "RUN" for ins, _ in instructions[last_user_at:]), "RUN after the final USER"

    runs = " ".join(args for ins, args in instructions if ins == "RUN")
    assert re.search(rf"uv sync --frozen --no-dev --package afas-{svc} --no-editable", runs)
    assert ("EXPOSE", "8080") in instructions
    assert ("EXPOSE", "8180") in instructions  # the internal port: /metrics, /internal/*
    assert instructions[-1] == ("CMD", f'["python", "-m", "afas_{svc}"]')

    image = validate.dockerfile_image(path)
    assert image == f"afas/{svc}:0.1.0"
    assert f"docker build -f services/{svc}/Dockerfile -t {image} ." in path.read_text()
    container = objects[("Deployment", svc)]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == image


@pytest.mark.parametrize("svc", SERVICES)
def test_metrics_and_internal_routes_are_on_the_internal_port_only(objects, svc):
    deployment = objects[("Deployment", svc)]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "internal", "containerPort": 8180, "protocol": "TCP"} in container["ports"]
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert (annotations["prometheus.io/port"], annotations["prometheus.io/path"]) == ("8180", "/metrics")
    assert objects[("ConfigMap", "afas-config")]["data"][f"AFAS_{svc.upper()}_INTERNAL_PORT"] == "8180"
    assert all(p["targetPort"] == "http" for p in objects[("Service", svc)]["spec"]["ports"])


def test_scraping_the_public_port_or_exposing_the_internal_one_is_reported(docs):
    assert validate.check_policies(docs) == []
    deployment = next(doc for doc in docs if (doc.kind, doc.name) == ("Deployment", "identity"))
    deployment.data["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"] = "8080"
    service = next(doc for doc in docs if (doc.kind, doc.name) == ("Service", "habilitation"))
    service.data["spec"]["ports"].append({"name": "internal", "port": 8180, "targetPort": "internal"})
    container = _app_container(docs, "estimation")
    container["ports"] = [p for p in container["ports"] if p["name"] != "internal"]
    joined = "\n".join(validate.check_policies(docs))
    assert "prometheus.io/port must be the internal port 8180" in joined
    assert "Service/habilitation" in joined and "must not expose the internal port" in joined
    assert "container estimation: needs a port named internal on 8180" in joined
