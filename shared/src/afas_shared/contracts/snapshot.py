"""Checked-in JSON Schema of every contract: a change shows up in review, never by accident.

``python -m afas_shared.contracts.snapshot --write`` refreshes the files after a reviewed change. Request/reply
contracts are snapshot the same way, one file per verb holding its request and its reply.

Within a major version a contract may only grow: a new optional field is compatible (consumers ignore
what they do not know, the schemas allow additional properties); a removed field, a changed type, a new
required field or a schema closed to additions is breaking and calls for ``v(N+1)``. Every difference
names which it is (:func:`breaking_changes`), so the review knows whether the version must change.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from afas_shared.contracts.registry import REGISTRY, envelope_model
from afas_shared.contracts.rpc import RPC_CONTRACTS, pair_schema

SNAPSHOT_DIR = Path(__file__).resolve().parents[3] / "contracts"


def current_schemas() -> dict[str, dict]:
    """Every event's envelope, and every request/reply pair (``<service>.rpc.<verb>.v<N>``)."""
    events = {subject: envelope_model(subject).model_json_schema() for subject in REGISTRY}
    verbs = {c.subject: pair_schema(c) for c in RPC_CONTRACTS.values()}
    return dict(sorted({**events, **verbs}.items()))


def render(schema: dict) -> str:
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def differences(directory: Path = SNAPSHOT_DIR) -> list[str]:
    problems = []
    schemas = current_schemas()
    for subject, schema in schemas.items():
        path = directory / f"{subject}.json"
        if not path.exists():
            problems.append(f"{subject}: no snapshot at {path}")
        elif path.read_text(encoding="utf-8") != render(schema):
            breaking = breaking_changes(json.loads(path.read_text(encoding="utf-8")), schema)
            verdict = f"breaking: {'; '.join(breaking)}" if breaking else "compatible within the major version"
            problems.append(f"{subject}: schema differs from {path} ({verdict})")
    for path in directory.glob("*.json"):
        if path.stem not in schemas:
            problems.append(f"{path.name}: snapshot of a contract that no longer exists")
    return problems


def _resolve(schema: dict, root: dict) -> dict:
    while "$ref" in schema:
        schema = root.get("$defs", {})[schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _is_object(schema: dict) -> bool:
    return schema.get("type") == "object" and "properties" in schema


def _kind(schema: dict, root: dict) -> str:
    """What a value must be, for comparison: type, format, pattern, enum, items; an object is just "object"."""
    s = _resolve(schema, root)
    if "anyOf" in s:
        return "|".join(sorted(_kind(alt, root) for alt in s["anyOf"]))
    if _is_object(s):
        return "object"
    if s.get("type") == "array":
        return f"array[{_kind(s.get('items', {}), root)}]"
    if s.get("type") == "object":
        return f"map[{_kind(s.get('additionalProperties') or {}, root)}]"
    return json.dumps({k: s[k] for k in ("type", "format", "pattern", "enum", "const") if k in s}, sort_keys=True)


def breaking_changes(
    old: dict, new: dict, path: str = "", old_root: dict | None = None, new_root: dict | None = None
) -> list[str]:
    """How ``new`` breaks readers of ``old``: removed fields, changed types, new required fields, closed objects."""
    old_root, new_root = old_root or old, new_root or new
    o, n = _resolve(old, old_root), _resolve(new, new_root)
    here = path or "envelope"
    if _kind(o, old_root) != _kind(n, new_root):
        return [f"{here} changed type ({_kind(o, old_root)} -> {_kind(n, new_root)})"]
    problems: list[str] = []
    if _is_object(o):
        for name, sub in o["properties"].items():
            if name not in n["properties"]:
                problems.append(f"{path + '.' if path else ''}{name} removed")
            else:
                problems += breaking_changes(
                    sub, n["properties"][name], f"{path + '.' if path else ''}{name}", old_root, new_root
                )
        for name in sorted(set(n.get("required", ())) - set(o.get("required", ()))):
            problems.append(f"{path + '.' if path else ''}{name} newly required")
        if n.get("additionalProperties") is False and o.get("additionalProperties") is not False:
            problems.append(f"{here} closed to additional properties")
    elif "anyOf" in o:
        olds = [alt for alt in o["anyOf"] if _is_object(_resolve(alt, old_root))]
        news = [alt for alt in n["anyOf"] if _is_object(_resolve(alt, new_root))]
        for a, b in zip(olds, news, strict=False):
            problems += breaking_changes(a, b, path, old_root, new_root)
    elif o.get("type") == "array":
        problems += breaking_changes(o.get("items", {}), n.get("items", {}), f"{here}[]", old_root, new_root)
    return problems


def write(directory: Path = SNAPSHOT_DIR) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for subject, schema in current_schemas().items():
        (directory / f"{subject}.json").write_text(render(schema), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--write", action="store_true", help="refresh the snapshot after review")
    args = parser.parse_args()
    if args.write:
        write()
    problems = differences()
    for p in problems:
        print(p)
    raise SystemExit(1 if problems else 0)


if __name__ == "__main__":
    main()
