"""Finding pod specs, containers and referenced data inside rendered objects."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .documents import Doc

WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"})


def pod_spec(doc: Doc) -> dict[str, Any] | None:
    """The pod spec of a workload or Pod, None for objects that run no pods."""
    if doc.kind in WORKLOAD_KINDS:
        return ((doc.data.get("spec") or {}).get("template") or {}).get("spec") or {}
    if doc.kind == "Pod":
        return doc.data.get("spec") or {}
    return None


def all_containers(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for key in ("initContainers", "containers"):
        yield from spec.get(key) or []


def index_by_kind_and_name(docs: list[Doc]) -> dict[tuple[str, str], Doc]:
    return {(doc.kind, doc.name): doc for doc in docs}


def data_keys(doc: Doc) -> set[str]:
    """Keys of a ConfigMap or Secret, whether given as data or stringData."""
    return set((doc.data.get("data") or {}).keys()) | set((doc.data.get("stringData") or {}).keys())
