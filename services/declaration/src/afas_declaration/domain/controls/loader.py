"""Read the coherence controls of a campaign from ``definitions/<version>/<family>.yaml``.

Versions follow the forms' (``2026.1``): a control names form fields, so a controls file is checked against the
form definition of the same family and version, and is frozen with it once declarations were controlled.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import yaml

from afas_declaration.domain.controls.model import ControlDefinitionError, ControlSet
from afas_declaration.domain.controls.schema import build_controls
from afas_declaration.domain.data_files import VERSION, StrictLoader, families_in, versions_in
from afas_declaration.domain.forms.loader import CURRENT_VERSION, UnknownDefinition, load_definition

_FAMILY = re.compile(r"[a-z][a-z0-9_]*")

Base = Path | str


class UnknownControls(ControlDefinitionError):
    """No controls file exists for this family and version."""


def _default_base() -> Traversable:
    return resources.files(__package__) / "definitions"


def available_versions(base: Base | None = None) -> list[str]:
    """The campaign versions with controls, oldest first."""
    return versions_in(Path(base) if base is not None else _default_base())


def available_families(version: str = CURRENT_VERSION, base: Base | None = None) -> list[str]:
    """The PS family ids with a controls file for ``version``."""
    return families_in(_version_dir(version, base))


def load_controls(family: str, version: str = CURRENT_VERSION, base: Base | None = None) -> ControlSet:
    """The checked controls of ``family`` for ``version``; raise ``ControlDefinitionError`` if unusable.

    ``base`` replaces the packaged controls directory (tests, tools); the forms are always the packaged ones.
    """
    return _load(family, version, str(base) if base is not None else None)


@lru_cache(maxsize=256)
def _load(family: str, version: str, base: str | None) -> ControlSet:
    if not isinstance(family, str) or not _FAMILY.fullmatch(family):
        raise UnknownControls(f"invalid family id {family!r}")
    path = _version_dir(version, base) / f"{family}.yaml"
    source = f"controls {version}/{family}.yaml"
    if not path.is_file():
        raise UnknownControls(f"no controls for family {family!r} in version {version!r}")
    try:
        forms = load_definition(family, version)
    except UnknownDefinition:
        raise UnknownControls(f"{source}: no form definition for family {family!r} in version {version!r}") from None
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=StrictLoader)
    except yaml.YAMLError as error:
        raise ControlDefinitionError(f"{source}: not valid YAML: {error}") from None
    return build_controls(raw, source, forms)


def _version_dir(version: str, base: Base | None) -> Traversable:
    if not isinstance(version, str) or not VERSION.fullmatch(version):
        raise UnknownControls(f"invalid version {version!r}: expected YYYY.N, e.g. {CURRENT_VERSION}")
    return (Path(base) if base is not None else _default_base()) / version
