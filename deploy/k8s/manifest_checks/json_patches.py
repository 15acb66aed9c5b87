"""kustomize ``patches:`` in their JSON 6902 form, the one the overlays use (deploy/k8s/overlays/*).

A patch is a list of RFC 6902 operations (``add``, ``remove``, ``replace``, ``test``) given inline (``patch:``) or
in a file (``path:``), applied to the objects its ``target`` selects by kind, name and optionally group, version
and namespace. Strategic-merge patches, selectors by label or annotation, and the ``move``/``copy`` operations are
refused rather than approximated: this loader must render exactly what ``kubectl kustomize`` renders, and a JSON
patch says precisely which field changes (the test beside the overlays compares both renderings when kubectl is
installed).
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml

from .documents import Doc, KustomizeError

SUPPORTED_PATCH_KEYS = frozenset({"path", "patch", "target"})
SUPPORTED_TARGET_KEYS = frozenset({"group", "version", "kind", "name", "namespace"})
SUPPORTED_OPS = frozenset({"add", "remove", "replace", "test"})


def _pointer(path: str, where: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise KustomizeError(f"{where}: JSON pointer {path!r} must start with /")
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _index(container: list[Any], token: str, where: str, *, adding: bool) -> int:
    if adding and token == "-":
        return len(container)
    if not token.isdigit():
        raise KustomizeError(f"{where}: {token!r} is not an index of a list")
    index = int(token)
    if index > len(container) or (index == len(container) and not adding):
        raise KustomizeError(f"{where}: index {index} is out of the list (length {len(container)})")
    return index


def _apply_op(document: dict[str, Any], op: dict[str, Any], where: str) -> None:
    name = op.get("op")
    if name not in SUPPORTED_OPS:
        raise KustomizeError(f"{where}: unsupported operation {name!r} (only {', '.join(sorted(SUPPORTED_OPS))})")
    parts = _pointer(str(op.get("path", "")), where)
    if not parts:
        raise KustomizeError(f"{where}: an operation on the whole object is not supported")
    parent: Any = document
    for token in parts[:-1]:
        if isinstance(parent, list):
            parent = parent[_index(parent, token, where, adding=False)]
        elif isinstance(parent, dict) and token in parent:
            parent = parent[token]
        else:
            raise KustomizeError(f"{where}: path {op.get('path')!r} does not exist")
    last = parts[-1]
    value = copy.deepcopy(op.get("value"))
    if isinstance(parent, list):
        index = _index(parent, last, where, adding=name == "add")
        if name == "add":
            parent.insert(index, value)
        elif name == "remove":
            del parent[index]
        elif name == "replace":
            parent[index] = value
        elif parent[index] != value:
            raise KustomizeError(f"{where}: test failed at {op.get('path')!r}")
        return
    if not isinstance(parent, dict):
        raise KustomizeError(f"{where}: path {op.get('path')!r} goes through a scalar")
    if name != "add" and last not in parent:
        raise KustomizeError(f"{where}: path {op.get('path')!r} does not exist")
    if name in ("add", "replace"):
        parent[last] = value
    elif name == "remove":
        del parent[last]
    elif parent[last] != value:
        raise KustomizeError(f"{where}: test failed at {op.get('path')!r}: {parent[last]!r} != {value!r}")


def _matches(doc: Doc, target: dict[str, Any]) -> bool:
    group, _, version = str(doc.data.get("apiVersion", "")).rpartition("/")
    wanted = {"kind": doc.kind, "name": doc.name, "group": group, "version": version, "namespace": doc.namespace}
    return all(wanted[key] == value for key, value in target.items())


def _operations(kfile: Path, directory: Path, entry: dict[str, Any]) -> list[dict[str, Any]]:
    if ("path" in entry) == ("patch" in entry):
        raise KustomizeError(f"{kfile}: a patch needs exactly one of path: and patch:")
    if "path" in entry:
        source = (directory / str(entry["path"])).resolve()
        if not source.is_file():
            raise KustomizeError(f"{kfile}: patch file {entry['path']!r} not found")
        text = source.read_text(encoding="utf-8")
    else:
        text = str(entry["patch"])
    try:
        ops = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise KustomizeError(f"{kfile}: invalid patch YAML: {exc}") from exc
    if not isinstance(ops, list) or not all(isinstance(op, dict) for op in ops):
        raise KustomizeError(f"{kfile}: only JSON 6902 patches (a list of operations) are supported")
    return ops


def apply_patches(kfile: Path, directory: Path, entries: list[Any], docs: list[Doc]) -> None:
    """Apply a kustomization's ``patches:`` to its rendered objects, in place; every patch must hit an object."""
    for entry in entries:
        if not isinstance(entry, dict) or set(entry) - SUPPORTED_PATCH_KEYS:
            raise KustomizeError(f"{kfile}: a patch takes only path:, patch: and target:")
        target = entry.get("target") or {}
        if not isinstance(target, dict) or not target.get("kind") or set(target) - SUPPORTED_TARGET_KEYS:
            raise KustomizeError(f"{kfile}: a patch target needs a kind and takes only {sorted(SUPPORTED_TARGET_KEYS)}")
        ops = _operations(kfile, directory, entry)
        hits = [doc for doc in docs if _matches(doc, target)]
        if not hits:
            # kustomize applies a patch without a target silently; here it is a mistake (a renamed object)
            raise KustomizeError(f"{kfile}: patch target {target} matches no object")
        for doc in hits:
            for op in ops:
                _apply_op(doc.data, op, f"{kfile}: patch of {doc.kind}/{doc.name}")
