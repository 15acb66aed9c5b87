#!/usr/bin/env python3
"""Offline validation of the AFAS Kubernetes manifests (deploy/k8s/base), without a cluster or kubectl.

Run from anywhere with the workspace venv (``kubernetes-validate``, ``jsonschema`` and ``pyyaml`` are dev
dependencies of the workspace root; the AFAS settings classes come from the workspace packages)::

    uv run --python python3 python deploy/k8s/validate.py [KUSTOMIZATION_DIR ...]

Without a directory it renders and validates the base and both overlays (deploy/k8s/overlays/dev and prod).

The checks live in the ``manifest_checks`` package beside this file (see its docstring).
Exit status 0 when everything is valid, 1 otherwise (one line per problem on stderr).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

# Python puts this file's directory first on sys.path when it runs it as a script, wherever the caller is.
from manifest_checks import K8S_VERSIONS, RENDERINGS, REPO_ROOT, validate_all


def _name(directory: Path) -> str:
    try:
        return str(directory.resolve().relative_to(REPO_ROOT))
    except ValueError:
        return str(directory)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    failed = 0
    for directory in [Path(arg) for arg in argv] or list(RENDERINGS):
        report = validate_all(directory)
        for problem in report.problems:
            print(f"INVALID {_name(directory)}: {problem}", file=sys.stderr)
        if not report.ok:
            print(f"{_name(directory)}: {len(report.problems)} problem(s) found", file=sys.stderr)
            failed += 1
            continue
        kinds = Counter(doc.kind for doc in report.docs)
        summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        where = _name(directory)
        versions = " and ".join(K8S_VERSIONS)
        print(f"OK: {where}: {len(report.docs)} objects valid against Kubernetes {versions} + CRDs ({summary})")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
