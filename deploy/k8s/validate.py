#!/usr/bin/env python3
"""Offline validation of the AFAS Kubernetes manifests (deploy/k8s/base).

Run from anywhere with the workspace venv (``kubernetes-validate``, ``jsonschema`` and ``pyyaml`` are dev
dependencies of the workspace root)::

    uv run --python python3 python deploy/k8s/validate.py [KUSTOMIZATION_DIR]

What it does, without a cluster and without kubectl:

1. builds the kustomization like ``kubectl kustomize`` would for the subset we use: ``resources:`` (files and
   nested directories that have their own kustomization.yaml) and ``namespace:`` (set on every namespaced
   object, the outermost kustomization winning); anything else in a kustomization.yaml is refused;
2. validates every built-in kind with ``kubernetes_validate`` in strict mode (unknown fields are errors)
   against Kubernetes ``K8S_VERSION``;
3. validates every custom resource against the ``openAPIV3Schema`` of its CRD kept in deploy/k8s/crds, with
   every object schema closed (unknown fields are errors, like the API server's strict field validation);
4. checks AFAS policies: images are the ones the service Dockerfiles build, probes on /healthz and /readyz,
   resources and a restricted security context, every AFAS_* variable is a known setting, references to
   Secrets/ConfigMaps/CNPG objects resolve, each service has its Deployment and Service.

Exit status 0 when everything is valid, 1 otherwise (one line per problem on stderr).
"""

from __future__ import annotations

import copy
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

K8S_VERSION = "1.31"

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent.parent
BASE_DIR = HERE / "base"
CRD_DIR = HERE / "crds"

SERVICES = ("identity", "habilitation", "declaration", "estimation", "notification")
HTTP_PORT = 8080
NON_ROOT_UID = 10001

COMMON_SETTINGS = (
    "AFAS_ENV",
    "AFAS_NATS_URL",
    "AFAS_BUS_PREFIX",
    "AFAS_BUS_STREAM_REPLICAS",
    "AFAS_TELEMETRY_EXPORTER",
    "AFAS_OTLP_ENDPOINT",
    "AFAS_LOG_LEVEL",
)
PER_SERVICE_SETTINGS = ("HTTP_HOST", "HTTP_PORT", "DATABASE_URL")
EXTRA_SETTINGS = ("AFAS_DECLARATION_ADMIN_TOKEN",)
ALLOWED_AFAS_ENV = frozenset(
    COMMON_SETTINGS
    + tuple(f"AFAS_{svc.upper()}_{name}" for svc in SERVICES for name in PER_SERVICE_SETTINGS)
    + EXTRA_SETTINGS
)

KUSTOMIZATION_NAMES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
SUPPORTED_KUSTOMIZATION_KEYS = frozenset({"apiVersion", "kind", "resources", "namespace"})

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
WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "Job", "ReplicaSet"})


class KustomizeError(Exception):
    """The kustomization cannot be loaded (missing file, unsupported feature, bad YAML)."""


@dataclass
class Doc:
    """One rendered object and the file it came from."""

    data: dict[str, Any]
    source: Path

    @property
    def kind(self) -> str:
        return str(self.data.get("kind", "?"))

    @property
    def name(self) -> str:
        return str((self.data.get("metadata") or {}).get("name", "?"))

    @property
    def namespace(self) -> str | None:
        return (self.data.get("metadata") or {}).get("namespace")

    def label(self) -> str:
        try:
            src = self.source.relative_to(REPO_ROOT)
        except ValueError:
            src = self.source
        return f"{self.kind}/{self.name} ({src})"


@dataclass
class Report:
    docs: list[Doc] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


# --------------------------------------------------------------------------------------------------
# kustomization loading
# --------------------------------------------------------------------------------------------------


def _kustomization_file(directory: Path) -> Path:
    for name in KUSTOMIZATION_NAMES:
        candidate = directory / name
        if candidate.is_file():
            return candidate
    raise KustomizeError(f"{directory}: no kustomization.yaml")


def load_yaml_docs(path: Path) -> list[Doc]:
    try:
        loaded = list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as exc:
        raise KustomizeError(f"{path}: invalid YAML: {exc}") from exc
    docs = []
    for item in loaded:
        if item is None:
            continue
        if not isinstance(item, dict):
            raise KustomizeError(f"{path}: a document is not a mapping")
        if item.get("kind") == "List" and isinstance(item.get("items"), list):
            docs.extend(Doc(sub, path) for sub in item["items"])
        else:
            docs.append(Doc(item, path))
    return docs


def load_kustomization(directory: Path | str = BASE_DIR, _stack: tuple[Path, ...] = ()) -> list[Doc]:
    """Render a kustomization directory into its objects (resources + namespace only)."""
    directory = Path(directory).resolve()
    if directory in _stack:
        raise KustomizeError(f"{directory}: cycle in kustomization resources")
    kfile = _kustomization_file(directory)
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
            "(this loader only follows resources: and namespace:)"
        )
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
    namespace = spec.get("namespace")
    if namespace:
        for doc in docs:
            if doc.kind not in CLUSTER_SCOPED_KINDS:
                doc.data.setdefault("metadata", {})["namespace"] = namespace
    seen: dict[tuple[str, str, str | None, str], Path] = {}
    for doc in docs:
        group = str(doc.data.get("apiVersion", "")).rpartition("/")[0]
        key = (group, doc.kind, doc.namespace, doc.name)
        if key in seen:
            raise KustomizeError(f"{doc.label()}: duplicate of an object from {seen[key]}")
        seen[key] = doc.source
    return docs


# --------------------------------------------------------------------------------------------------
# schema validation
# --------------------------------------------------------------------------------------------------


def _path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "<root>"


def validate_builtin(data: dict[str, Any], k8s_version: str = K8S_VERSION) -> list[str]:
    """Strict schema validation of a built-in kind; returns problem messages (empty when valid)."""
    try:
        kubernetes_validate.validate(data, k8s_version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        return [f"{_path(exc.absolute_path)}: {exc.message}"]
    except kubernetes_validate.SchemaNotFoundError as exc:
        return [f"no Kubernetes {k8s_version} schema: {exc.message}"]
    return []


# Closed schema for metadata of custom resources (CRDs only say `type: object`).
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


def load_crds(crd_dir: Path | str = CRD_DIR) -> CrdSchemas:
    crds = CrdSchemas()
    for path in sorted(Path(crd_dir).glob("*.y*ml")):
        for doc in load_yaml_docs(path):
            if doc.kind != "CustomResourceDefinition":
                continue
            spec = doc.data["spec"]
            for version in spec["versions"]:
                raw = version["schema"]["openAPIV3Schema"]
                closed = close_schema(raw)
                closed.setdefault("properties", {})["metadata"] = _OBJECT_META_SCHEMA
                key = (spec["group"], version["name"], spec["names"]["kind"])
                crds.schemas[key] = closed
                crds.sources[key] = path
    return crds


def crd_documents(crd_dir: Path | str = CRD_DIR) -> list[Doc]:
    return [doc for path in sorted(Path(crd_dir).glob("*.y*ml")) for doc in load_yaml_docs(path)]


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


# --------------------------------------------------------------------------------------------------
# AFAS policies
# --------------------------------------------------------------------------------------------------

_TAG_RE = re.compile(r"docker build\b.*?\s-t\s+(\S+)")


def dockerfile_path(svc: str) -> Path:
    return REPO_ROOT / "services" / svc / "Dockerfile"


def dockerfile_image(path: Path) -> str | None:
    """The image name the Dockerfile documents in its `docker build ... -t IMAGE .` comment."""
    match = _TAG_RE.search(path.read_text(encoding="utf-8"))
    return match.group(1) if match else None


def dockerfile_images() -> dict[str, str]:
    images = {}
    for svc in SERVICES:
        path = dockerfile_path(svc)
        if path.is_file() and (image := dockerfile_image(path)):
            images[svc] = image
    return images


def _containers(pod_spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for key in ("initContainers", "containers"):
        yield from pod_spec.get(key) or []


def _pod_spec(doc: Doc) -> dict[str, Any] | None:
    if doc.kind in WORKLOAD_KINDS:
        return ((doc.data.get("spec") or {}).get("template") or {}).get("spec") or {}
    if doc.kind == "Pod":
        return doc.data.get("spec") or {}
    return None


def _afas_env_names(doc: Doc) -> Iterator[str]:
    pod_spec = _pod_spec(doc)
    if pod_spec is not None:
        for container in _containers(pod_spec):
            for env in container.get("env") or []:
                yield env.get("name", "")
            for source in container.get("envFrom") or []:
                if source.get("prefix"):
                    yield source["prefix"]
    if doc.kind == "ConfigMap":
        yield from (doc.data.get("data") or {}).keys()
    if doc.kind == "Secret":
        yield from (doc.data.get("data") or {}).keys()
        yield from (doc.data.get("stringData") or {}).keys()


def _http_get_path(container: dict[str, Any], probe: str) -> str | None:
    return (((container.get(probe) or {}).get("httpGet")) or {}).get("path")


def _check_deployment(doc: Doc, images: set[str]) -> list[str]:
    problems = []
    pod_spec = _pod_spec(doc) or {}
    pod_sc = pod_spec.get("securityContext") or {}
    if pod_sc.get("runAsNonRoot") is not True:
        problems.append("pod securityContext.runAsNonRoot must be true")
    if (pod_sc.get("seccompProfile") or {}).get("type") != "RuntimeDefault":
        problems.append("pod securityContext.seccompProfile.type must be RuntimeDefault")
    mounts_tmp = False
    for container in pod_spec.get("containers") or []:
        where = f"container {container.get('name')}"
        image = container.get("image")
        if image not in images:
            problems.append(f"{where}: image {image!r} is not built by a service Dockerfile {sorted(images)}")
        if _http_get_path(container, "livenessProbe") != "/healthz":
            problems.append(f"{where}: livenessProbe must be httpGet /healthz")
        if _http_get_path(container, "readinessProbe") != "/readyz":
            problems.append(f"{where}: readinessProbe must be httpGet /readyz")
        if not container.get("startupProbe"):
            problems.append(f"{where}: startupProbe is missing")
        resources = container.get("resources") or {}
        for section in ("requests", "limits"):
            for resource in ("cpu", "memory"):
                if resource not in (resources.get(section) or {}):
                    problems.append(f"{where}: resources.{section}.{resource} is missing")
        sc = container.get("securityContext") or {}
        if sc.get("runAsNonRoot") is not True:
            problems.append(f"{where}: securityContext.runAsNonRoot must be true")
        if sc.get("runAsUser", pod_sc.get("runAsUser")) != NON_ROOT_UID:
            problems.append(f"{where}: runAsUser must be {NON_ROOT_UID} (the image's user)")
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{where}: securityContext.allowPrivilegeEscalation must be false")
        if sc.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{where}: securityContext.readOnlyRootFilesystem must be true")
        if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
            problems.append(f"{where}: securityContext.capabilities.drop must contain ALL")
        if any(m.get("mountPath") == "/tmp" for m in container.get("volumeMounts") or []):
            mounts_tmp = True
        ports = {p.get("name"): p.get("containerPort") for p in container.get("ports") or []}
        if ports.get("http") != HTTP_PORT:
            problems.append(f"{where}: needs a port named http on {HTTP_PORT}")
    if not mounts_tmp:
        problems.append("a writable volume must be mounted at /tmp (read-only root filesystem)")
    return problems


def _index(docs: list[Doc]) -> dict[tuple[str, str], Doc]:
    return {(doc.kind, doc.name): doc for doc in docs}


_VOLUME_REFS = (("ConfigMap", "configMap", "name"), ("Secret", "secret", "secretName"))


def _is_cnpg(doc: Doc) -> bool:
    return str(doc.data.get("apiVersion", "")).startswith("postgresql.cnpg.io/")


def _managed_roles(cluster: Doc) -> list[dict[str, Any]]:
    return ((cluster.data.get("spec") or {}).get("managed") or {}).get("roles") or []


def _check_references(docs: list[Doc]) -> list[str]:
    problems = []
    index = _index(docs)

    def keys_of(kind: str, name: str) -> set[str] | None:
        doc = index.get((kind, name))
        if doc is None:
            return None
        return set((doc.data.get("data") or {}).keys()) | set((doc.data.get("stringData") or {}).keys())

    for doc in docs:
        pod_spec = _pod_spec(doc)
        if pod_spec is None:
            continue
        for container in _containers(pod_spec):
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
                    keys = keys_of(kind, ref.get("name"))
                    where = f"{doc.label()}: env {env.get('name')}"
                    if keys is None:
                        problems.append(f"{where}: {kind} {ref.get('name')!r} not found")
                    elif ref.get("key") not in keys:
                        problems.append(f"{where}: key {ref.get('key')!r} not in {kind} {ref.get('name')!r}")
        for volume in pod_spec.get("volumes") or []:
            for kind, key, name_key in _VOLUME_REFS:
                name = (volume.get(key) or {}).get(name_key)
                if key in volume and (kind, name) not in index:
                    problems.append(f"{doc.label()}: volume {kind} {name!r} not found")

    # Services select pods of some workload.
    pod_labels = [
        ((doc.data["spec"].get("template") or {}).get("metadata") or {}).get("labels") or {}
        for doc in docs
        if doc.kind in WORKLOAD_KINDS
    ]
    for doc in docs:
        if doc.kind != "Service":
            continue
        selector = (doc.data.get("spec") or {}).get("selector") or {}
        if selector and not any(selector.items() <= labels.items() for labels in pod_labels):
            problems.append(f"{doc.label()}: selector {selector} matches no workload's pods")

    # CloudNativePG: Database -> Cluster and owner role; role password Secrets exist.
    clusters = {doc.name: doc for doc in docs if doc.kind == "Cluster" and _is_cnpg(doc)}
    for cluster in clusters.values():
        for role in _managed_roles(cluster):
            secret = (role.get("passwordSecret") or {}).get("name")
            if secret is None:
                continue
            where = f"{cluster.label()}: role {role.get('name')}: Secret {secret!r}"
            keys = keys_of("Secret", secret)
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


def check_policies(docs: list[Doc], images: dict[str, str] | None = None) -> list[str]:
    """AFAS-specific checks over the rendered objects; returns problem messages."""
    images = dockerfile_images() if images is None else images
    problems = []
    if set(images) != set(SERVICES):
        missing = sorted(set(SERVICES) - set(images))
        problems.append(f"Dockerfiles without a documented `docker build ... -t IMAGE` line: {missing}")
    image_set = set(images.values())
    index = _index(docs)
    for svc in SERVICES:
        deployment = index.get(("Deployment", svc))
        service = index.get(("Service", svc))
        if deployment is None:
            problems.append(f"service {svc}: Deployment {svc!r} is missing")
        else:
            containers = (_pod_spec(deployment) or {}).get("containers") or []
            if svc in images and not any(c.get("image") == images[svc] for c in containers):
                problems.append(f"{deployment.label()}: does not run its image {images[svc]!r}")
        if service is None:
            problems.append(f"service {svc}: Service {svc!r} is missing")
        else:
            ports = (service.data.get("spec") or {}).get("ports") or []
            if not any(
                p.get("name") == "http" and p.get("port") == 80 and p.get("targetPort") in ("http", HTTP_PORT)
                for p in ports
            ):
                problems.append(f"{service.label()}: needs port http 80 -> 8080")
    for doc in docs:
        if doc.kind == "Deployment":
            problems.extend(f"{doc.label()}: {msg}" for msg in _check_deployment(doc, image_set))
        for name in _afas_env_names(doc):
            if name.startswith("AFAS_") and name not in ALLOWED_AFAS_ENV:
                problems.append(f"{doc.label()}: {name} is not a known AFAS setting")
    for svc in SERVICES:
        path = dockerfile_path(svc)
        if path.is_file():
            for name in re.findall(r"\b(AFAS_[A-Z0-9_]+)=", path.read_text(encoding="utf-8")):
                if name not in ALLOWED_AFAS_ENV:
                    problems.append(f"{path.relative_to(REPO_ROOT)}: {name} is not a known AFAS setting")
    problems.extend(_check_references(docs))
    return problems


# --------------------------------------------------------------------------------------------------
# entry points
# --------------------------------------------------------------------------------------------------


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
        report.problems.extend(f"{doc.label()}: {msg}" for msg in validate_doc(copy.deepcopy(doc.data), crds))
    report.problems.extend(check_policies(report.docs, images))
    return report


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    base_dir = Path(argv[0]) if argv else BASE_DIR
    report = validate_all(base_dir)
    for problem in report.problems:
        print(f"INVALID {problem}", file=sys.stderr)
    if report.ok:
        kinds: dict[str, int] = {}
        for doc in report.docs:
            kinds[doc.kind] = kinds.get(doc.kind, 0) + 1
        summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
        print(f"OK: {len(report.docs)} objects valid against Kubernetes {K8S_VERSION} + CRDs ({summary})")
        return 0
    print(f"{len(report.problems)} problem(s) found", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
