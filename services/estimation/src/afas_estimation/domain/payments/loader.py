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

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

from afas_estimation.domain.payments.model import (
    BASES,
    CAPPABLE,
    COMPARISONS,
    TRIGGERS,
    AdvanceRule,
    CafPolicies,
    CapRule,
    PaymentPolicy,
    PolicyError,
    UnknownPolicy,
    normalise_caf,
)
from afas_shared.strict_yaml import StrictLoader

MAPPING_FILE = "cafs"
_POLICY_ID = re.compile(r"[a-z][a-z0-9_]*")
_POLICY_KEYS = {"id", "label", "source", "advances", "top_ups", "cap", "new_equipment"}
_ADVANCE_KEYS = {"percent", "trigger", "label", "base"}
_CAP_KEYS = {"percent", "gap_threshold_percent", "applies_to", "compare"}

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
    return sorted(name for name in names if name != MAPPING_FILE and _POLICY_ID.fullmatch(name))


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
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=StrictLoader)
    except yaml.YAMLError as error:
        raise PolicyError(f"{name}.yaml: not valid YAML: {error}") from None


@lru_cache(maxsize=64)
def _load_policy(policy_id: str, base: str | None) -> PaymentPolicy:
    if not isinstance(policy_id, str) or not _POLICY_ID.fullmatch(policy_id) or policy_id == MAPPING_FILE:
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
    raw = _mapping(raw, source)
    _keys(raw, {"default", "cafs"}, {"default", "cafs"}, source)
    default = _policy_ref(raw["default"], f"{source}: default", base)
    cafs = _mapping(raw["cafs"], f"{source}: cafs")
    by_caf: dict[str, str] = {}
    for caf, policy_id in cafs.items():
        where = f"{source}: cafs.{caf}"
        if not isinstance(caf, str):
            raise PolicyError(f'{where}: quote the Caf code (e.g. "092"), YAML reads {caf!r} as a number')
        try:
            code = normalise_caf(caf)
        except PolicyError as error:
            raise PolicyError(f"{where}: {error}") from None
        if code in by_caf:
            raise PolicyError(f"{where}: Caf {code} listed twice")
        by_caf[code] = _policy_ref(policy_id, where, base)
    return CafPolicies(default=default, by_caf=by_caf)


def _policy_ref(value: Any, where: str, base: str | None) -> str:
    if not isinstance(value, str):
        raise PolicyError(f"{where}: expected a policy id, got {value!r}")
    try:
        _load_policy(value, base)
    except UnknownPolicy:
        raise PolicyError(f"{where}: unknown payment policy {value!r}") from None
    return value


def build_policy(raw: Any, source: str, expected_id: str | None = None) -> PaymentPolicy:
    """Check a parsed policy document and build it; ``source`` prefixes every error message."""
    raw = _mapping(raw, source)
    _keys(raw, _POLICY_KEYS, {"id", "label", "advances", "top_ups"}, source)
    policy_id = raw["id"]
    if not isinstance(policy_id, str) or not _POLICY_ID.fullmatch(policy_id):
        raise PolicyError(f"{source}: id: invalid policy id {policy_id!r}")
    if expected_id is not None and policy_id != expected_id:
        raise PolicyError(f"{source}: id: {policy_id!r} does not match the file name {expected_id!r}")
    label = _text(raw["label"], f"{source}: label")
    policy_source = _text(raw["source"], f"{source}: source") if raw.get("source") is not None else None
    if not isinstance(raw["top_ups"], bool):
        raise PolicyError(f"{source}: top_ups: expected true or false, got {raw['top_ups']!r}")

    advances = _advances(raw["advances"], f"{source}: advances")
    new_equipment = (
        _advances(raw["new_equipment"], f"{source}: new_equipment") if raw.get("new_equipment") is not None else ()
    )

    cap = None
    if raw.get("cap") is not None:
        where = f"{source}: cap"
        entry = _mapping(raw["cap"], where)
        _keys(entry, _CAP_KEYS, _CAP_KEYS - {"compare"}, where)
        applies_to = entry["applies_to"]
        kinds = {rule.kind for rule in advances} | {"complement"}
        if not isinstance(applies_to, list) or not applies_to:
            raise PolicyError(f"{where}: applies_to: expected a non-empty list of payment kinds")
        for kind in applies_to:
            if kind not in CAPPABLE or kind not in kinds:
                raise PolicyError(f"{where}: applies_to: {kind!r} is not an advance of this policy")
        compare = entry.get("compare", "previous_forecast_vs_actual")
        if compare not in COMPARISONS:
            raise PolicyError(f"{where}: compare: expected one of {', '.join(COMPARISONS)}, got {compare!r}")
        cap = CapRule(
            percent=_percent(entry["percent"], f"{where}: percent"),
            gap_threshold_percent=_percent(entry["gap_threshold_percent"], f"{where}: gap_threshold_percent"),
            applies_to=tuple(applies_to),
            compare=compare,
        )
    return PaymentPolicy(
        id=policy_id,
        label=label,
        advances=tuple(advances),
        top_ups=raw["top_ups"],
        cap=cap,
        source=policy_source,
        new_equipment=tuple(new_equipment),
    )


def _advances(entries: Any, source: str) -> list[AdvanceRule]:
    if not isinstance(entries, list) or not entries:
        raise PolicyError(f"{source}: expected a non-empty list")
    advances = []
    for index, entry in enumerate(entries):
        where = f"{source}[{index}]"
        entry = _mapping(entry, where)
        _keys(entry, _ADVANCE_KEYS, _ADVANCE_KEYS - {"base"}, where)
        trigger = entry["trigger"]
        if trigger not in TRIGGERS:
            raise PolicyError(f"{where}: trigger: expected one of {', '.join(TRIGGERS)}, got {trigger!r}")
        base = entry.get("base", "forecast")
        if base not in BASES:
            raise PolicyError(f"{where}: base: expected one of {', '.join(BASES)}, got {base!r}")
        advances.append(
            AdvanceRule(
                kind=f"acompte_{index + 1}",
                percent=_percent(entry["percent"], f"{where}: percent"),
                trigger=trigger,
                label=_text(entry["label"], f"{where}: label"),
                base=base,
            )
        )
    if len(advances) > 2:
        raise PolicyError(f"{source}: at most two advances (acompte_1, acompte_2), got {len(advances)}")
    total = sum((rule.percent for rule in advances), Decimal(0))
    if total > 100:
        raise PolicyError(f"{source}: they add up to {total} %, above 100 %")
    return advances


def _mapping(raw: Any, where: str) -> dict:
    if not isinstance(raw, dict):
        raise PolicyError(f"{where}: expected a mapping, got {type(raw).__name__}")
    return raw


def _keys(raw: dict, allowed: set[str], required: set[str], where: str) -> None:
    unknown = sorted(str(key) for key in raw if key not in allowed)
    if unknown:
        raise PolicyError(f"{where}: unknown key(s) {', '.join(unknown)}")
    missing = sorted(key for key in required if key not in raw)
    if missing:
        raise PolicyError(f"{where}: missing key(s) {', '.join(missing)}")


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PolicyError(f"{where}: expected a non-empty text")
    return value


def _percent(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise PolicyError(f"{where}: expected a percentage such as 40, got {value!r}")
    try:
        percent = Decimal(str(value).strip())
    except InvalidOperation:
        raise PolicyError(f"{where}: expected a percentage such as 40, got {value!r}") from None
    if not percent.is_finite() or not 0 < percent <= 100:
        raise PolicyError(f"{where}: a percentage must be above 0 and at most 100, got {value!r}")
    return percent
