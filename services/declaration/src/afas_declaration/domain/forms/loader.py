"""Read the form definitions of a campaign from ``definitions/<version>/<family>.yaml``.

A campaign version (``2026.1``: year, then revision) is frozen once declarations were filed against it: a
change of form is a new version, so an old declaration is always shown with the form it was typed in.
Reading files is the only I/O here, and it targets data shipped inside the package (or a directory given by a
test or a tool), so the domain layer stays free of infrastructure.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import yaml

from afas_declaration.domain.forms.model import DefinitionError, FamilyDefinition
from afas_declaration.domain.forms.schema import build_family

CURRENT_VERSION = "2026.1"

_VERSION = re.compile(r"(\d{4})\.(\d+)")
_FAMILY = re.compile(r"[a-z][a-z0-9_]*")

Base = Path | str


class _StrictLoader(yaml.SafeLoader):
    """Safe loader that refuses a key repeated in a mapping (PyYAML silently keeps the last one)."""

    def construct_mapping(self, node, deep=False):
        keys = [self.construct_object(key_node, deep=deep) for key_node, _ in node.value]
        for index, key in enumerate(keys):
            if key in keys[:index]:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", node.value[index][0].start_mark
                )
        return super().construct_mapping(node, deep=deep)


class UnknownDefinition(DefinitionError):
    """No definition file exists for this family and version."""


def _default_base() -> Traversable:
    return resources.files(__package__) / "definitions"


def available_versions(base: Base | None = None) -> list[str]:
    """The campaign versions present, oldest first."""
    root = Path(base) if base is not None else _default_base()
    if not root.is_dir():
        return []
    found = [entry.name for entry in root.iterdir() if entry.is_dir() and _VERSION.fullmatch(entry.name)]
    return sorted(found, key=lambda v: tuple(int(part) for part in v.split(".")))


def available_families(version: str = CURRENT_VERSION, base: Base | None = None) -> list[str]:
    """The PS family ids with a definition file for ``version``."""
    root = _version_dir(version, base)
    if not root.is_dir():
        return []
    names = (entry.name for entry in root.iterdir() if entry.is_file() and entry.name.endswith(".yaml"))
    return sorted(name.removesuffix(".yaml") for name in names)


def load_definition(family: str, version: str = CURRENT_VERSION, base: Base | None = None) -> FamilyDefinition:
    """The checked definition of ``family`` for campaign ``version``; raise ``DefinitionError`` if unusable."""
    return _load(family, version, str(base) if base is not None else None)


@lru_cache(maxsize=256)
def _load(family: str, version: str, base: str | None) -> FamilyDefinition:
    if not isinstance(family, str) or not _FAMILY.fullmatch(family):
        raise UnknownDefinition(f"invalid family id {family!r}")
    path = _version_dir(version, base) / f"{family}.yaml"
    source = f"{version}/{family}.yaml"
    if not path.is_file():
        raise UnknownDefinition(f"no form definition for family {family!r} in version {version!r}")
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)
    except yaml.YAMLError as error:
        raise DefinitionError(f"{source}: not valid YAML: {error}") from None
    return build_family(raw, source, family, version)


def _version_dir(version: str, base: Base | None) -> Traversable:
    if not isinstance(version, str) or not _VERSION.fullmatch(version):
        raise UnknownDefinition(f"invalid version {version!r}: expected YYYY.N, e.g. {CURRENT_VERSION}")
    return (Path(base) if base is not None else _default_base()) / version
