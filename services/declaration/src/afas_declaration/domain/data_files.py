"""Versioned YAML data shipped with the domain (form definitions, coherence controls): one directory per campaign
version (``YYYY.N``), one file per PS family, read strictly."""

from __future__ import annotations

import re
from importlib.resources.abc import Traversable
from pathlib import Path

from afas_shared.strict_yaml import StrictLoader

__all__ = ["VERSION", "StrictLoader", "families_in", "versions_in"]

VERSION = re.compile(r"(\d{4})\.(\d+)")


def versions_in(root: Path | Traversable) -> list[str]:
    """The version directories under ``root``, oldest first."""
    if not root.is_dir():
        return []
    found = [entry.name for entry in root.iterdir() if entry.is_dir() and VERSION.fullmatch(entry.name)]
    return sorted(found, key=lambda v: tuple(int(part) for part in v.split(".")))


def families_in(version_dir: Path | Traversable) -> list[str]:
    """The PS family ids with a file in ``version_dir``."""
    if not version_dir.is_dir():
        return []
    names = (entry.name for entry in version_dir.iterdir() if entry.is_file() and entry.name.endswith(".yaml"))
    return sorted(name.removesuffix(".yaml") for name in names)
