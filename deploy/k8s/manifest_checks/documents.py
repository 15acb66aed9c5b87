"""Rendered Kubernetes objects (with the file each came from) and reading them from YAML."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from .project import REPO_ROOT


class KustomizeError(Exception):
    """The kustomization cannot be loaded (missing file, unsupported feature, bad YAML)."""


@dataclass
class Doc:
    """One rendered object and the file it came from."""

    data: dict[str, Any]
    source: Path

    @property
    def kind(self) -> str:
        return str(self.data.get("kind", "?"))

    @property
    def name(self) -> str:
        return str((self.data.get("metadata") or {}).get("name", "?"))

    @property
    def namespace(self) -> str | None:
        return (self.data.get("metadata") or {}).get("namespace")

    def label(self) -> str:
        try:
            src = self.source.relative_to(REPO_ROOT)
        except ValueError:
            src = self.source
        return f"{self.kind}/{self.name} ({src})"


def load_yaml_docs(path: Path) -> list[Doc]:
    try:
        loaded = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as exc:
        raise KustomizeError(f"{path}: invalid YAML: {exc}") from exc
    docs = []
    for item in loaded:
        if item is None:
            continue
        if not isinstance(item, dict):
            raise KustomizeError(f"{path}: a document is not a mapping")
        # kubectl accepts `kind: List` wrappers and applies their items one by one.
        if item.get("kind") == "List" and isinstance(item.get("items"), list):
            docs.extend(Doc(sub, path) for sub in item["items"])
        else:
            docs.append(Doc(item, path))
    return docs
