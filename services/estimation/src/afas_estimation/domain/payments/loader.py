"""Read payment policies from ``policies/<id>.yaml`` and the Caf → policy mapping from ``policies/cafs.yaml``.

Payments vary by Caf and are data, not code: a Caf changing its rates edits a file. Reading files is the only
I/O here, and it targets data shipped inside the package (or a directory given by a test or a tool), so the
domain layer stays free of infrastructure. Every error names the file and the place.

Policy file::

    id: caf_92                      # = the file name
    label: …
    source: …                       # optional: where the rule comes from
    advances:                       # acompte_1, acompte_2, … in this order
      - {percent: 40, trigger: forecast_validated, label: 1er acompte}
      - {percent: 30, trigger: previous_actual_validated, label: 2e acompte}
    top_ups: true                   # compléments d'acompte when an update raises the forecast
    cap:                            # optional (null: no cap)
      percent: 70                   # total advances of N ≤ 70 % of the actual N-1 …
      gap_threshold_percent: 10     # … when the N-1 forecast/actual gap exceeds 10 % and is not justified
      applies_to: [acompte_2, complement]

Mapping file: ``default: <policy id>`` and ``cafs: {"092": caf_92, …}`` (Caf codes quoted, three digits).
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

from afas_estimation.domain.payments.model import CafPolicies, PaymentPolicy, PolicyError, UnknownPolicy
from afas_estimation.domain.payments.schema import POLICY_ID, build_caf_policies, build_policy
from afas_shared.yaml_definitions import read_yaml

__all__ = ["available_policies", "build_policy", "load_caf_policies", "load_policy", "policy_for_caf"]

MAPPING_FILE = "cafs"

Base = Path | str


def _default_base() -> Traversable:
    return resources.files(__package__) / "policies"


def _root(base: str | None) -> Traversable:
    return Path(base) if base is not None else _default_base()


def available_policies(base: Base | None = None) -> list[str]:
    """The policy ids with a file (the mapping file excluded)."""
    root = _root(str(base) if base is not None else None)
    if not root.is_dir():
        return []
    names = (entry.name.removesuffix(".yaml") for entry in root.iterdir() if entry.name.endswith(".yaml"))
    return sorted(name for name in names if name != MAPPING_FILE and POLICY_ID.fullmatch(name))


def load_policy(policy_id: str, base: Base | None = None) -> PaymentPolicy:
    """The checked policy ``policy_id``; raise ``UnknownPolicy`` / ``PolicyError`` if missing or unusable."""
    return _load_policy(policy_id, str(base) if base is not None else None)


def load_caf_policies(base: Base | None = None) -> CafPolicies:
    """The Caf → policy mapping; every policy it names must load."""
    return _load_mapping(str(base) if base is not None else None)


def policy_for_caf(caf: str | int, base: Base | None = None) -> PaymentPolicy:
    """The policy Caf ``caf`` applies (``"092"`` or ``92``); the default policy for a Caf not listed."""
    return load_policy(load_caf_policies(base).policy_id(caf), base)


def _read(root: Traversable, name: str) -> Any:
    path = root / f"{name}.yaml"
    if not path.is_file():
        raise UnknownPolicy(f"no payment policy file {name}.yaml")
    return read_yaml(path, f"{name}.yaml", PolicyError)


@lru_cache(maxsize=64)
def _load_policy(policy_id: str, base: str | None) -> PaymentPolicy:
    if not isinstance(policy_id, str) or not POLICY_ID.fullmatch(policy_id) or policy_id == MAPPING_FILE:
        raise UnknownPolicy(f"invalid payment policy id {policy_id!r}")
    raw = _read(_root(base), policy_id)
    return build_policy(raw, f"{policy_id}.yaml", policy_id)


@lru_cache(maxsize=16)
def _load_mapping(base: str | None) -> CafPolicies:
    source = f"{MAPPING_FILE}.yaml"
    try:
        raw = _read(_root(base), MAPPING_FILE)
    except UnknownPolicy:
        raise PolicyError(f"no Caf → policy mapping file {source}") from None
    return build_caf_policies(raw, source, lambda policy_id: _loads(policy_id, base))


def _loads(policy_id: str, base: str | None) -> bool:
    """Whether ``policy_id`` names a policy file; a file that is there but malformed is refused as such."""
    try:
        _load_policy(policy_id, base)
    except UnknownPolicy:
        return False
    return True
