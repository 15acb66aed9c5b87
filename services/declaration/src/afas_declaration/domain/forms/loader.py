"""Read the form definitions of a campaign from ``definitions/<version>/<family>.yaml`` (see ``data_files``)."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from afas_declaration.domain.data_files import CURRENT_VERSION, Base, VersionedFiles
from afas_declaration.domain.forms.model import DefinitionError, FamilyDefinition
from afas_declaration.domain.forms.schema import build_family

__all__ = ["CURRENT_VERSION", "UnknownDefinition", "available_families", "available_versions", "load_definition"]


class UnknownDefinition(DefinitionError):
    """No definition file exists for this family and version."""


_FILES = VersionedFiles(
    resources.files(__package__) / "definitions", "form definition", "", DefinitionError, UnknownDefinition
)


# Which versions and families have a file: ``available_families("2026.1", base=None)``
available_versions = _FILES.versions
available_families = _FILES.families


def load_definition(family: str, version: str = CURRENT_VERSION, base: Base | None = None) -> FamilyDefinition:
    """The checked definition of ``family`` for campaign ``version``; raise ``DefinitionError`` if unusable."""
    return _load(family, version, str(base) if base is not None else None)


@lru_cache(maxsize=256)
def _load(family: str, version: str, base: str | None) -> FamilyDefinition:
    raw, source = _FILES.read(family, version, base)
    return build_family(raw, source, family, version)
