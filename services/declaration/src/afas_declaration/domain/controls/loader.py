"""Read the coherence controls of a campaign from ``definitions/<version>/<family>.yaml`` (see ``data_files``).

Versions follow the forms' (``2026.1``): a control names form fields, so a controls file is checked against the
form definition of the same family and version, and is frozen with it once declarations were controlled.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

from afas_declaration.domain.controls.model import ControlDefinitionError, ControlSet
from afas_declaration.domain.controls.schema import build_controls
from afas_declaration.domain.data_files import CURRENT_VERSION, Base, VersionedFiles
from afas_declaration.domain.forms.loader import UnknownDefinition, load_definition


class UnknownControls(ControlDefinitionError):
    """No controls file exists for this family and version."""


_FILES = VersionedFiles(
    resources.files(__package__) / "definitions", "controls", "controls ", ControlDefinitionError, UnknownControls
)


def load_controls(family: str, version: str = CURRENT_VERSION, base: Base | None = None) -> ControlSet:
    """The checked controls of ``family`` for ``version``; raise ``ControlDefinitionError`` if unusable.

    ``base`` replaces the packaged controls directory (tests, tools); the forms are always the packaged ones.
    """
    return _load(family, version, str(base) if base is not None else None)


@lru_cache(maxsize=256)
def _load(family: str, version: str, base: str | None) -> ControlSet:
    raw, source = _FILES.read(family, version, base)
    try:
        forms = load_definition(family, version)
    except UnknownDefinition:
        raise UnknownControls(f"{source}: no form definition for family {family!r} in version {version!r}") from None
    return build_controls(raw, source, forms)


# Which versions and families have controls: ``available_families("2026.1", base=None)``
available_versions = _FILES.versions
available_families = _FILES.families
