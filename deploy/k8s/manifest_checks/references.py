"""Cross-object references resolve: ConfigMaps/Secrets used by pods, Service selectors, CloudNativePG."""

from __future__ import annotations

from typing import Any

from .documents import Doc
from .workloads import WORKLOAD_KINDS, all_containers, data_keys, index_by_kind_and_name, pod_spec

_VOLUME_REFS = (("ConfigMap", "configMap", "name"), ("Secret", "secret", "secretName"))


def _is_cnpg(doc: Doc) -> bool:
    return str(doc.data.get("apiVersion", "")).startswith("postgresql.cnpg.io/")


def _managed_roles(cluster: Doc) -> list[dict[str, Any]]:
    return ((cluster.data.get("spec") or {}).get("managed") or {}).get("roles") or []


def _keys_of(index: dict[tuple[str, str], Doc], kind: str, name: str) -> set[str] | None:
    doc = index.get((kind, name))
    return None if doc is None else data_keys(doc)


def _check_pod_references(docs: list[Doc], index: dict[tuple[str, str], Doc]) -> list[str]:
    problems = []
    for doc in docs:
        spec = pod_spec(doc)
        if spec is None:
            continue
        for container in all_containers(spec):
            for source in container.get("envFrom") or []:
                for kind, ref_key in (("ConfigMap", "configMapRef"), ("Secret", "secretRef")):
                    ref = source.get(ref_key)
                    if ref and not ref.get("optional") and (kind, ref.get("name")) not in index:
                        problems.append(f"{doc.label()}: envFrom {kind} {ref.get('name')!r} not found")
            for env in container.get("env") or []:
                value_from = env.get("valueFrom") or {}
                for kind, ref_key in (("ConfigMap", "configMapKeyRef"), ("Secret", "secretKeyRef")):
                    ref = value_from.get(ref_key)
                    if not ref or ref.get("optional"):
                        continue
                    keys = _keys_of(index, kind, ref.get("name"))
                    where = f"{doc.label()}: env {env.get('name')}"
                    if keys is None:
                        problems.append(f"{where}: {kind} {ref.get('name')!r} not found")
                    elif ref.get("key") not in keys:
                        problems.append(f"{where}: key {ref.get('key')!r} not in {kind} {ref.get('name')!r}")
        for volume in spec.get("volumes") or []:
            for kind, key, name_key in _VOLUME_REFS:
                name = (volume.get(key) or {}).get(name_key)
                if key in volume and (kind, name) not in index:
                    problems.append(f"{doc.label()}: volume {kind} {name!r} not found")
    return problems


def _check_service_selectors(docs: list[Doc]) -> list[str]:
    pod_labels = [
        ((doc.data["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
        for doc in docs
        if doc.kind in WORKLOAD_KINDS
    ]
    problems = []
    for doc in docs:
        if doc.kind != "Service":
            continue
        selector = (doc.data.get("spec") or {}).get("selector") or {}
        if selector and not any(selector.items() <= labels.items() for labels in pod_labels):
            problems.append(f"{doc.label()}: selector {selector} matches no workload's pods")
    return problems


def _check_cnpg(docs: list[Doc], index: dict[tuple[str, str], Doc]) -> list[str]:
    """Database -> Cluster and owner role; the role password Secrets exist and name the role."""
    problems = []
    clusters = {doc.name: doc for doc in docs if doc.kind == "Cluster" and _is_cnpg(doc)}
    for cluster in clusters.values():
        for role in _managed_roles(cluster):
            secret = (role.get("passwordSecret") or {}).get("name")
            if secret is None:
                continue
            where = f"{cluster.label()}: role {role.get('name')}: Secret {secret!r}"
            keys = _keys_of(index, "Secret", secret)
            if keys is None:
                problems.append(f"{where} not found")
            elif not {"username", "password"} <= keys:
                problems.append(f"{where} needs the keys username and password")
            else:
                username = (index[("Secret", secret)].data.get("stringData") or {}).get("username")
                if username is not None and username != role.get("name"):
                    problems.append(f"{where}: username is {username!r}, not the role name")
    for doc in docs:
        if doc.kind != "Database" or not _is_cnpg(doc):
            continue
        spec = doc.data.get("spec") or {}
        cluster = clusters.get((spec.get("cluster") or {}).get("name"))
        if cluster is None:
            problems.append(f"{doc.label()}: Cluster {(spec.get('cluster') or {}).get('name')!r} not found")
            continue
        if spec.get("owner") not in {role.get("name") for role in _managed_roles(cluster)}:
            owner = spec.get("owner")
            problems.append(f"{doc.label()}: owner {owner!r} is not a managed role of {cluster.name}")
    return problems


def _check_backups(docs: list[Doc], index: dict[tuple[str, str], Doc]) -> list[str]:
    """A ScheduledBackup names a Cluster that has an object store; its credentials' Secret keys exist."""
    problems = []
    clusters = {doc.name: doc for doc in docs if doc.kind == "Cluster" and _is_cnpg(doc)}
    for cluster in clusters.values():
        store = ((cluster.data.get("spec") or {}).get("backup") or {}).get("barmanObjectStore") or {}
        for field, ref in sorted((store.get("s3Credentials") or {}).items()):
            if not isinstance(ref, dict):
                continue
            keys = _keys_of(index, "Secret", ref.get("name"))
            where = f"{cluster.label()}: backup s3Credentials.{field}"
            if keys is None:
                problems.append(f"{where}: Secret {ref.get('name')!r} not found")
            elif ref.get("key") not in keys:
                problems.append(f"{where}: key {ref.get('key')!r} not in Secret {ref.get('name')!r}")
    for doc in docs:
        if doc.kind != "ScheduledBackup" or not _is_cnpg(doc):
            continue
        spec = doc.data.get("spec") or {}
        cluster = clusters.get((spec.get("cluster") or {}).get("name"))
        if cluster is None:
            problems.append(f"{doc.label()}: Cluster {(spec.get('cluster') or {}).get('name')!r} not found")
        elif spec.get("method", "barmanObjectStore") == "barmanObjectStore" and not (
            (cluster.data.get("spec") or {}).get("backup") or {}
        ).get("barmanObjectStore"):
            # the operator would create Backup objects that fail every night, silently for whoever does not look
            problems.append(f"{doc.label()}: Cluster {cluster.name} has no spec.backup.barmanObjectStore")
    return problems


def check_references(docs: list[Doc]) -> list[str]:
    index = index_by_kind_and_name(docs)
    return (
        _check_pod_references(docs, index)
        + _check_service_selectors(docs)
        + _check_cnpg(docs, index)
        + _check_backups(docs, index)
    )
