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

from afas_declaration.domain.data_files import VERSION, StrictLoader, families_in, versions_in
from afas_declaration.domain.forms.model import DefinitionError, FamilyDefinition
from afas_declaration.domain.forms.schema import build_family

CURRENT_VERSION = "2026.1"

_FAMILY = re.compile(r"[a-z][a-z0-9_]*")

Base = Path | str


class UnknownDefinition(DefinitionError):
    """No definition file exists for this family and version."""


def _default_base() -> Traversable:
    return resources.files(__package__) / "definitions"


def available_versions(base: Base | None = None) -> list[str]:
    """The campaign versions present, oldest first."""
    return versions_in(Path(base) if base is not None else _default_base())


def available_families(version: str = CURRENT_VERSION, base: Base | None = None) -> list[str]:
    """The PS family ids with a definition file for ``version``."""
    return families_in(_version_dir(version, base))


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
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=StrictLoader)
    except yaml.YAMLError as error:
        raise DefinitionError(f"{source}: not valid YAML: {error}") from None
    return build_family(raw, source, family, version)


def _version_dir(version: str, base: Base | None) -> Traversable:
    if not isinstance(version, str) or not VERSION.fullmatch(version):
        raise UnknownDefinition(f"invalid version {version!r}: expected YYYY.N, e.g. {CURRENT_VERSION}")
    return (Path(base) if base is not None else _default_base()) / version
