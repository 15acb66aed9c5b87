"""Versioned YAML data shipped with the domain (form definitions, coherence controls): one directory per campaign
version (``YYYY.N``), one file per PS family, read strictly.

A campaign version (``2026.1``: year, then revision) is frozen once declarations were filed against it: a change
is a new version, so an old declaration is always shown and controlled with the data it was typed against.
Reading files is the only I/O here, and it targets data shipped inside the package (or a directory given by a test
or a tool), so the domain layer stays free of infrastructure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from afas_shared.yaml_definitions import read_yaml

__all__ = ["CURRENT_VERSION", "VERSION", "Base", "VersionedFiles", "families_in", "versions_in"]

CURRENT_VERSION = "2026.1"
VERSION = re.compile(r"(\d{4})\.(\d+)")
_FAMILY = re.compile(r"[a-z][a-z0-9_]*")

Base = Path | str


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


@dataclass(frozen=True)
class VersionedFiles:
    """The files of one kind of data: ``<root>/<version>/<family>.yaml``, ``base`` replacing the packaged root.

    ``unknown`` is raised for a missing file, or a family or version id that cannot name one (never a path outside
    the root); ``malformed`` for a file that is not YAML.
    """

    packaged: Traversable
    kind: str  # "form definition", "controls": what a missing file is said to lack
    source_prefix: str  # before ``<version>/<family>.yaml`` in a message
    malformed: type[ValueError]
    unknown: type[ValueError]

    def versions(self, base: Base | None = None) -> list[str]:
        """The campaign versions present, oldest first."""
        return versions_in(self._root(base))

    def families(self, version: str = CURRENT_VERSION, base: Base | None = None) -> list[str]:
        """The PS family ids with a file for ``version``."""
        return families_in(self.version_dir(version, base))

    def read(self, family: str, version: str, base: Base | None = None) -> tuple[Any, str]:
        """The parsed file of ``family`` for ``version``, and its name for messages."""
        path = self.family_file(family, version, base)
        if not path.is_file():
            raise self.unknown(f"no {self.kind} for family {family!r} in version {version!r}")
        source = f"{self.source_prefix}{version}/{family}.yaml"
        return read_yaml(path, source, self.malformed), source

    def family_file(self, family: str, version: str, base: Base | None = None) -> Traversable:
        if not isinstance(family, str) or not _FAMILY.fullmatch(family):
            raise self.unknown(f"invalid family id {family!r}")
        return self.version_dir(version, base) / f"{family}.yaml"

    def version_dir(self, version: str, base: Base | None = None) -> Traversable:
        if not isinstance(version, str) or not VERSION.fullmatch(version):
            raise self.unknown(f"invalid version {version!r}: expected YYYY.N, e.g. {CURRENT_VERSION}")
        return self._root(base) / version

    def _root(self, base: Base | None) -> Traversable:
        return Path(base) if base is not None else self.packaged
