"""Kubernetes label selectors evaluated against the pods the workloads create (their template labels)."""

from __future__ import annotations

from typing import Any

from .documents import Doc
from .workloads import WORKLOAD_KINDS


def matches(selector: dict[str, Any] | None, labels: dict[str, str]) -> bool:
    """Whether a LabelSelector selects these labels; an empty selector selects everything, as the API says."""
    selector = selector or {}
    if any(labels.get(key) != value for key, value in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, operator, values = expression.get("key"), expression.get("operator"), expression.get("values") or []
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def pod_labels(docs: list[Doc]) -> dict[str, dict[str, str]]:
    """Workload name -> the labels of its pods, for every Deployment, StatefulSet... of the rendering."""
    return {
        doc.name: dict((((doc.data.get("spec") or {}).get("template") or {}).get("metadata") or {}).get("labels") or {})
        for doc in docs
        if doc.kind in WORKLOAD_KINDS
    }


def selected_workloads(selector: dict[str, Any] | None, pods: dict[str, dict[str, str]]) -> set[str]:
    return {name for name, labels in pods.items() if matches(selector, labels)}
