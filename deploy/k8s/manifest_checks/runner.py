"""Runs every check over a kustomization and collects the problems instead of stopping at the first."""

from __future__ import annotations

import copy
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from .documents import Doc, KustomizeError
from .kustomize_loader import load_kustomization
from .policies import check_policies
from .project import BASE_DIR, CRD_DIR
from .schemas import CrdSchemas, crd_documents, load_crds, validate_builtin, validate_doc

# Schema problems of objects already validated in this process, by (CRD schemas, object): the overlays render mostly
# the base's objects unchanged, and schema validation is two thirds of a rendering's cost. Both parts of the key
# are the full content (not a path), so a changed CRD or object is validated again.
_SCHEMA_PROBLEMS: dict[tuple[str, str], list[str]] = {}
_MAX_REMEMBERED = 4096


def _schema_problems(data: dict, crds: CrdSchemas, crds_digest: str) -> list[str]:
    key = (crds_digest, json.dumps(data, sort_keys=True, default=str))
    if key not in _SCHEMA_PROBLEMS:
        if len(_SCHEMA_PROBLEMS) >= _MAX_REMEMBERED:
            _SCHEMA_PROBLEMS.clear()
        # A copy, so nothing a validator does to an object can change what the policy checks see.
        _SCHEMA_PROBLEMS[key] = validate_doc(copy.deepcopy(data), crds)
    return list(_SCHEMA_PROBLEMS[key])


@dataclass
class Report:
    docs: list[Doc] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def validate_all(
    base_dir: Path | str = BASE_DIR, crd_dir: Path | str = CRD_DIR, images: dict[str, str] | None = None
) -> Report:
    """Load the kustomization and run every check; never raises for invalid manifests."""
    report = Report()
    try:
        crds = load_crds(crd_dir)
        for crd in crd_documents(crd_dir):
            report.problems.extend(f"{crd.label()}: {msg}" for msg in validate_builtin(crd.data))
    except (KustomizeError, KeyError, TypeError) as exc:
        report.problems.append(f"CRD directory {crd_dir}: {exc}")
        return report
    try:
        report.docs = load_kustomization(base_dir)
    except KustomizeError as exc:
        report.problems.append(str(exc))
        return report
    digest = hashlib.sha256(json.dumps(sorted(crds.schemas.items()), sort_keys=True, default=str).encode()).hexdigest()
    for doc in report.docs:
        report.problems.extend(f"{doc.label()}: {msg}" for msg in _schema_problems(doc.data, crds, digest))
    report.problems.extend(check_policies(report.docs, images))
    return report
