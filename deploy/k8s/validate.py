#!/usr/bin/env python3
"""Offline validation of the AFAS Kubernetes manifests (deploy/k8s/base), without a cluster or kubectl.

Run from anywhere with the workspace venv (``kubernetes-validate``, ``jsonschema`` and ``pyyaml`` are dev
dependencies of the workspace root; the AFAS settings classes come from the workspace packages)::

    uv run --python python3 python deploy/k8s/validate.py [KUSTOMIZATION_DIR]

The checks live in the ``manifest_checks`` package beside this file (see its docstring).
Exit status 0 when everything is valid, 1 otherwise (one line per problem on stderr).
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

# Python puts this file's directory first on sys.path when it runs it as a script, wherever the caller is.
from manifest_checks import BASE_DIR, K8S_VERSION, validate_all


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    report = validate_all(Path(argv[0]) if argv else BASE_DIR)
    for problem in report.problems:
        print(f"INVALID {problem}", file=sys.stderr)
    if not report.ok:
        print(f"{len(report.problems)} problem(s) found", file=sys.stderr)
        return 1
    kinds = Counter(doc.kind for doc in report.docs)
    summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    print(f"OK: {len(report.docs)} objects valid against Kubernetes {K8S_VERSION} + CRDs ({summary})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
