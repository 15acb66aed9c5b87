"""Runs every check over a kustomization and collects the problems instead of stopping at the first."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path

from .documents import Doc, KustomizeError
from .kustomize_loader import load_kustomization
from .policies import check_policies
from .project import BASE_DIR, CRD_DIR
from .schemas import crd_documents, load_crds, validate_builtin, validate_doc


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
    for doc in report.docs:
        # A copy, so nothing a validator does to an object can change what the policy checks see.
        report.problems.extend(f"{doc.label()}: {msg}" for msg in validate_doc(copy.deepcopy(doc.data), crds))
    report.problems.extend(check_policies(report.docs, images))
    return report
