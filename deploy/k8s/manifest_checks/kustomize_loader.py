"""Offline rendering of a kustomization, for the subset of kustomize the AFAS base uses.

Only ``resources:`` (files, and directories with their own kustomization.yaml: an overlay lists its base),
``namespace:``, ``configMapGenerator:`` (``files:`` only, with ``disableNameSuffixHash: true``: the Grafana dashboards,
JSON files kept as they are and mounted by name) and ``patches:`` in their JSON 6902 form (``json_patches``: the
overlays' replicas, resources, bounds) are followed; any other field is refused rather than ignored, so the
validator never checks something other than what ``kubectl kustomize`` would produce.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .documents import Doc, KustomizeError, load_yaml_docs
from .json_patches import apply_patches
from .project import BASE_DIR

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
SUPPORTED_KUSTOMIZATION_KEYS = frozenset(
    {"apiVersion", "kind", "resources", "namespace", "configMapGenerator", "patches"}
)
SUPPORTED_GENERATOR_KEYS = frozenset({"name", "files", "options"})
SUPPORTED_GENERATOR_OPTIONS = frozenset({"disableNameSuffixHash", "labels", "annotations"})

# Kinds that kustomize leaves without a namespace (the cluster-scoped ones we may meet).
CLUSTER_SCOPED_KINDS = frozenset(
    {
        "Namespace",
        "CustomResourceDefinition",
        "ClusterRole",
        "ClusterRoleBinding",
        "PersistentVolume",
        "StorageClass",
        "PriorityClass",
        "IngressClass",
        "ValidatingWebhookConfiguration",
        "MutatingWebhookConfiguration",
        "APIService",
    }
)


def _kustomization_file(directory: Path) -> Path:
    for name in KUSTOMIZATION_NAMES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    raise KustomizeError(f"{directory}: no kustomization.yaml")


def _read_spec(kfile: Path) -> dict[str, Any]:
    try:
        spec = yaml.safe_load(kfile.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise KustomizeError(f"{kfile}: invalid YAML: {exc}") from exc
    if not isinstance(spec, dict):
        raise KustomizeError(f"{kfile}: not a mapping")
    unsupported = sorted(set(spec) - SUPPORTED_KUSTOMIZATION_KEYS)
    if unsupported:
        raise KustomizeError(
            f"{kfile}: unsupported kustomization field(s) {', '.join(unsupported)} "
            "(this loader only follows resources:, namespace:, configMapGenerator: and patches:)"
        )
    return spec


def _reject_duplicates(docs: list[Doc]) -> None:
    seen: dict[tuple[str, str, str | None, str], Path] = {}
    for doc in docs:
        group = str(doc.data.get("apiVersion", "")).rpartition("/")[0]
        key = (group, doc.kind, doc.namespace, doc.name)
        if key in seen:
            raise KustomizeError(f"{doc.label()}: duplicate of an object from {seen[key]}")
        seen[key] = doc.source


def _generated_config_maps(kfile: Path, directory: Path, generators: list[Any]) -> list[Doc]:
    """ConfigMaps of ``configMapGenerator`` entries, as kustomize renders them (each file's text under its name)."""
    docs = []
    for generator in generators:
        if not isinstance(generator, dict) or not isinstance(generator.get("name"), str):
            raise KustomizeError(f"{kfile}: a configMapGenerator entry needs a name")
        unsupported = sorted(set(generator) - SUPPORTED_GENERATOR_KEYS)
        options = generator.get("options") or {}
        unsupported += sorted(f"options.{key}" for key in set(options) - SUPPORTED_GENERATOR_OPTIONS)
        if unsupported:
            name = generator["name"]
            raise KustomizeError(f"{kfile}: configMapGenerator {name}: unsupported {', '.join(unsupported)}")
        if options.get("disableNameSuffixHash") is not True:
            # kustomize would append a content hash to the name (and to every reference): not rendered here
            raise KustomizeError(f"{kfile}: configMapGenerator {generator['name']} needs disableNameSuffixHash: true")
        data: dict[str, str] = {}
        for entry in generator.get("files") or []:
            key, _, path = entry.rpartition("=") if "=" in entry else ("", "", entry)
            target = (directory / path).resolve()
            if not target.is_file() or directory not in target.parents:
                raise KustomizeError(f"{kfile}: configMapGenerator file {entry!r} not found under {directory}")
            data[key or target.name] = target.read_text(encoding="utf-8")
        metadata: dict[str, Any] = {"name": generator["name"]}
        for field in ("labels", "annotations"):
            if options.get(field):
                metadata[field] = {str(k): str(v) for k, v in options[field].items()}
        docs.append(Doc({"apiVersion": "v1", "kind": "ConfigMap", "metadata": metadata, "data": data}, kfile))
    return docs


def load_kustomization(directory: Path | str = BASE_DIR, _stack: tuple[Path, ...] = ()) -> list[Doc]:
    """Render a kustomization directory into its objects (resources, generated ConfigMaps, namespace)."""
    directory = Path(directory).resolve()
    if directory in _stack:
        raise KustomizeError(f"{directory}: cycle in kustomization resources")
    kfile = _kustomization_file(directory)
    spec = _read_spec(kfile)
    docs: list[Doc] = []
    for entry in spec.get("resources") or []:
        if not isinstance(entry, str) or "://" in entry or entry.startswith("github.com/"):
            raise KustomizeError(f"{kfile}: resource {entry!r} is not a local path")
        target = (directory / entry).resolve()
        if target.is_dir():
            docs.extend(load_kustomization(target, _stack + (directory,)))
        elif target.is_file():
            docs.extend(load_yaml_docs(target))
        else:
            raise KustomizeError(f"{kfile}: resource {entry!r} not found")
    docs.extend(_generated_config_maps(kfile, directory, spec.get("configMapGenerator") or []))
    apply_patches(kfile, directory, spec.get("patches") or [], docs)
    namespace = spec.get("namespace")
    if namespace:
        # Applied after the nested kustomizations rendered, so the outermost namespace wins.
        for doc in docs:
            if doc.kind not in CLUSTER_SCOPED_KINDS:
                doc.data.setdefault("metadata", {})["namespace"] = namespace
    _reject_duplicates(docs)
    return docs
