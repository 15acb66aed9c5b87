"""Checked-in JSON Schema of every contract: a change shows up in review, never by accident.

``python -m afas_shared.contracts.snapshot --write`` refreshes the files after a reviewed change.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from afas_shared.contracts.registry import REGISTRY, envelope_model

SNAPSHOT_DIR = Path(__file__).resolve().parents[3] / "contracts"


def current_schemas() -> dict[str, dict]:
    return {subject: envelope_model(subject).model_json_schema() for subject in sorted(REGISTRY)}


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
            problems.append(f"{subject}: schema differs from {path}")
    for path in directory.glob("*.json"):
        if path.stem not in schemas:
            problems.append(f"{path.name}: snapshot of a contract that no longer exists")
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
