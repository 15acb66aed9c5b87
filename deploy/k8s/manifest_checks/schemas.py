"""Schema validation: built-in kinds with kubernetes_validate, custom resources against their CRDs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate

from .documents import Doc, load_yaml_docs
from .project import CRD_DIR, K8S_VERSIONS


def _path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<root>"


def validate_builtin(data: dict[str, Any], k8s_versions: Iterable[str] = K8S_VERSIONS) -> list[str]:
    """Strict schema validation of a built-in kind against each Kubernetes version; returns problem messages
    (empty when valid), each naming the version it fails on."""
    problems = []
    for version in k8s_versions:
        try:
            kubernetes_validate.validate(data, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            problems.append(f"Kubernetes {version}: {_path(exc.absolute_path)}: {exc.message}")
        except kubernetes_validate.SchemaNotFoundError as exc:
            problems.append(f"no Kubernetes {version} schema: {exc.message}")
    return problems


# CRDs only say `metadata: {type: object}`; the API server still validates ObjectMeta, so close it here.
_OBJECT_META_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "pattern": r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$", "maxLength": 253},
        "namespace": {"type": "string"},
        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
        "finalizers": {"type": "array", "items": {"type": "string"}},
    },
}


def close_schema(schema: Any) -> Any:
    """Copy of an OpenAPI v3 structural schema where every object with properties rejects unknown fields.

    That is how the API server treats custom resources under strict field validation (unknown fields are
    pruned, and reported as errors with ``kubectl apply --validate=strict``, the default).
    """
    if isinstance(schema, list):
        return [close_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out = {key: close_schema(value) for key, value in schema.items()}
    if (
        "properties" in out
        and "additionalProperties" not in out
        and not out.get("x-kubernetes-preserve-unknown-fields")
    ):
        out["additionalProperties"] = False
    return out


@dataclass
class CrdSchemas:
    """openAPIV3Schema of every (group, version, kind) found in the CRD directory."""

    schemas: dict[tuple[str, str, str], dict[str, Any]] = field(default_factory=dict)
    sources: dict[tuple[str, str, str], Path] = field(default_factory=dict)

    def lookup(self, api_version: str, kind: str) -> dict[str, Any] | None:
        group, _, version = api_version.rpartition("/")
        return self.schemas.get((group, version, kind))


def crd_documents(crd_dir: Path | str = CRD_DIR) -> list[Doc]:
    return [doc for path in sorted(Path(crd_dir).glob("*.y*ml")) for doc in load_yaml_docs(path)]


def load_crds(crd_dir: Path | str = CRD_DIR) -> CrdSchemas:
    crds = CrdSchemas()
    for doc in crd_documents(crd_dir):
        if doc.kind != "CustomResourceDefinition":
            continue
        spec = doc.data["spec"]
        for version in spec["versions"]:
            closed = close_schema(version["schema"]["openAPIV3Schema"])
            closed.setdefault("properties", {})["metadata"] = _OBJECT_META_SCHEMA
            key = (spec["group"], version["name"], spec["names"]["kind"])
            crds.schemas[key] = closed
            crds.sources[key] = doc.source
    return crds


def is_builtin(data: dict[str, Any]) -> bool:
    group = str(data.get("apiVersion", "")).rpartition("/")[0]
    return group == "" or "." not in group or group.endswith(".k8s.io")


def validate_custom(data: dict[str, Any], crds: CrdSchemas) -> list[str]:
    """Validate a custom resource against its CRD schema; returns problem messages."""
    schema = crds.lookup(str(data.get("apiVersion", "")), str(data.get("kind", "")))
    if schema is None:
        return [f"no CRD schema for {data.get('apiVersion')} {data.get('kind')} in {CRD_DIR}"]
    validator = jsonschema.Draft7Validator(schema)
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    return [f"{_path(e.absolute_path)}: {e.message}" for e in errors]


def validate_doc(data: dict[str, Any], crds: CrdSchemas | None = None) -> list[str]:
    """Schema-validate one object, built-in or custom."""
    if not isinstance(data.get("apiVersion"), str) or not isinstance(data.get("kind"), str):
        return ["apiVersion and kind are required strings"]
    if is_builtin(data):
        return validate_builtin(data)
    return validate_custom(data, crds if crds is not None else load_crds())
