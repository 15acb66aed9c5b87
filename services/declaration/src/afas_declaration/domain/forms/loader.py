"""Read the form definitions of a campaign from ``definitions/<version>/<family>.yaml`` (see ``data_files``)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from afas_declaration.domain.data_files import CURRENT_VERSION, Base, VersionedFiles
from afas_declaration.domain.forms.model import DefinitionError, FamilyDefinition
from afas_declaration.domain.forms.schema import build_family
from afas_shared.yaml_definitions import read_yaml

__all__ = ["CURRENT_VERSION", "UnknownDefinition", "available_families", "available_versions", "load_definition"]


class UnknownDefinition(DefinitionError):
    """No definition file exists for this family and version."""


_FILES = VersionedFiles(resources.files(__package__) / "definitions", UnknownDefinition)


def available_versions(base: Base | None = None) -> list[str]:
    """The campaign versions present, oldest first."""
    return _FILES.versions(base)


def available_families(version: str = CURRENT_VERSION, base: Base | None = None) -> list[str]:
    """The PS family ids with a definition file for ``version``."""
    return _FILES.families(version, base)


def load_definition(family: str, version: str = CURRENT_VERSION, base: Base | None = None) -> FamilyDefinition:
    """The checked definition of ``family`` for campaign ``version``; raise ``DefinitionError`` if unusable."""
    return _load(family, version, str(base) if base is not None else None)


@lru_cache(maxsize=256)
def _load(family: str, version: str, base: str | None) -> FamilyDefinition:
    path = _FILES.family_file(family, version, base)
    if not path.is_file():
        raise UnknownDefinition(f"no form definition for family {family!r} in version {version!r}")
    source = f"{version}/{family}.yaml"
    return build_family(read_yaml(path, source, DefinitionError), source, family, version)
