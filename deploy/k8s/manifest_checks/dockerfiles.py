"""What the service Dockerfiles declare: the image each builds and the AFAS_* variables each sets."""

from __future__ import annotations

import re
from pathlib import Path

from .project import REPO_ROOT, SERVICES

# Each Dockerfile documents its own build command; that comment is the source of truth for the image name.
_TAG_RE = re.compile(r"docker build\b.*?\s-t\s+(\S+)")
_ENV_ASSIGNMENT_RE = re.compile(r"\b(AFAS_[A-Z0-9_]+)=")


def dockerfile_path(svc: str) -> Path:
    return REPO_ROOT / "services" / svc / "Dockerfile"


def dockerfile_image(path: Path) -> str | None:
    """The image name the Dockerfile documents in its `docker build ... -t IMAGE .` comment."""
    match = _TAG_RE.search(path.read_text(encoding="utf-8"))
    return match.group(1) if match else None


def dockerfile_images() -> dict[str, str]:
    images = {}
    for svc in SERVICES:
        path = dockerfile_path(svc)
        if path.is_file() and (image := dockerfile_image(path)):
            images[svc] = image
    return images


def dockerfile_env_names(path: Path) -> list[str]:
    return _ENV_ASSIGNMENT_RE.findall(path.read_text(encoding="utf-8"))
