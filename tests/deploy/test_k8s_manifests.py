"""Offline checks of the Kubernetes manifests (deploy/k8s) and of the service Dockerfiles."""

from __future__ import annotations

import copy
import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
VALIDATOR_PATH = REPO_ROOT / "deploy" / "k8s" / "validate.py"
CHECKS_DIR = REPO_ROOT / "deploy" / "k8s" / "manifest_checks"


def _load_checks():
    """Import deploy/k8s/manifest_checks by path: deploy/ is not a package and not on sys.path."""
    if "manifest_checks" in sys.modules:
        return sys.modules["manifest_checks"]
    spec = importlib.util.spec_from_file_location(
        "manifest_checks", CHECKS_DIR / "__init__.py", submodule_search_locations=[str(CHECKS_DIR)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # relative imports and dataclasses look the package up by name
    spec.loader.exec_module(module)
    return module


validate = _load_checks()
SERVICES = validate.SERVICES


@pytest.fixture(scope="module")
def report():
    return validate.validate_all()


@pytest.fixture(scope="module")
def crds():
    return validate.load_crds()


@pytest.fixture()
def objects(report):
    """Fresh copies of the rendered objects, by (kind, name)."""
    return {(doc.kind, doc.name): copy.deepcopy(doc.data) for doc in report.docs}


@pytest.fixture()
def docs(report):
    """Fresh copies of the rendered objects, as the policy checks take them."""
    return [validate.Doc(copy.deepcopy(doc.data), doc.source) for doc in report.docs]


def _app_container(docs, svc):
    deployment = next(doc for doc in docs if (doc.kind, doc.name) == ("Deployment", svc))
    return deployment.data["spec"]["template"]["spec"]["containers"][0]


# --- the real manifests -----------------------------------------------------------------------------


def test_all_manifests_are_valid(report):
    assert report.problems == []
    assert len(report.docs) > 20


def test_kustomize_namespace_is_applied(report):
    for doc in report.docs:
        if doc.kind == "Namespace":
            assert doc.namespace is None
        else:
            assert doc.namespace == "afas", doc.label()


@pytest.mark.parametrize("svc", SERVICES)
def test_each_service_has_deployment_and_service(objects, svc):
    deployment = objects[("Deployment", svc)]
    service = objects[("Service", svc)]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == f"afas/{svc}:0.1.0"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    env_names = {env["name"] for env in container["env"]}
    assert f"AFAS_{svc.upper()}_DATABASE_URL" in env_names
    assert service["spec"]["ports"] == [{"name": "http", "port": 80, "targetPort": "http", "protocol": "TCP"}]
    assert ("Database", f"afas-{svc}") in objects


def test_declaration_gets_admin_token(objects):
    container = objects[("Deployment", "declaration")]["spec"]["template"]["spec"]["containers"][0]
    assert "AFAS_DECLARATION_ADMIN_TOKEN" in {env["name"] for env in container["env"]}


def test_nats_is_a_three_node_jetstream_cluster(objects):
    statefulset = objects[("StatefulSet", "nats")]
    assert statefulset["spec"]["replicas"] == 3
    assert statefulset["spec"]["volumeClaimTemplates"]
    conf = objects[("ConfigMap", "nats-config")]["data"]["nats.conf"]
    assert "jetstream" in conf and "cluster" in conf
    for i in range(3):
        assert f"nats-{i}.nats-headless:6222" in conf
    assert objects[("Service", "nats")]["spec"]["ports"][0]["port"] == 4222
    assert objects[("Service", "nats-headless")]["spec"]["clusterIP"] == "None"
    assert objects[("ConfigMap", "afas-config")]["data"]["AFAS_NATS_URL"] == "nats://nats:4222"


def test_postgres_cluster_and_databases(objects):
    cluster = objects[("Cluster", "afas-pg")]
    assert cluster["apiVersion"] == "postgresql.cnpg.io/v1"
    assert cluster["spec"]["instances"] == 3
    for svc in SERVICES:
        database = objects[("Database", f"afas-{svc}")]
        assert database["spec"] == {
            "cluster": {"name": "afas-pg"},
            "name": f"afas_{svc}",
            "owner": f"afas_{svc}",
            "ensure": "present",
            "databaseReclaimPolicy": "retain",
        }


# --- broken copies must be rejected ----------------------------------------------------------------


def test_unknown_field_in_deployment_spec_is_rejected(objects, crds):
    deployment = objects[("Deployment", "identity")]
    assert validate.validate_doc(deployment, crds) == []
    deployment["spec"]["replicaz"] = 2
    problems = validate.validate_doc(deployment, crds)
    assert problems and "replicaz" in problems[0]


def test_wrong_type_in_service_is_rejected(objects, crds):
    service = objects[("Service", "declaration")]
    service["spec"]["ports"][0]["port"] = "eighty"
    assert validate.validate_doc(service, crds)


def test_wrong_type_in_cluster_spec_is_rejected(objects, crds):
    cluster = objects[("Cluster", "afas-pg")]
    assert validate.validate_doc(cluster, crds) == []
    cluster["spec"]["instances"] = "three"
    problems = validate.validate_doc(cluster, crds)
    assert any("spec.instances" in p and "integer" in p for p in problems)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("spec", "bogus"), True),
        (("spec", "storage", "sise"), "1Gi"),
        (("spec", "managed", "roles", 0, "passwd"), "x"),
        (("metadata", "nmae"), "x"),
    ],
)
def test_unknown_fields_in_cluster_are_rejected(objects, crds, path, value):
    cluster = objects[("Cluster", "afas-pg")]
    target = cluster
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    problems = validate.validate_doc(cluster, crds)
    assert any(path[-1] in p for p in problems), problems


def test_database_constraints(objects, crds):
    database = objects[("Database", "afas-estimation")]
    del database["spec"]["owner"]
    database["spec"]["ensure"] = "maybe"
    problems = validate.validate_doc(database, crds)
    assert any("owner" in p for p in problems)
    assert any("maybe" in p for p in problems)


def test_unknown_custom_kind_is_rejected(crds):
    problems = validate.validate_doc(
        {"apiVersion": "postgresql.cnpg.io/v1", "kind": "Pooler", "metadata": {"name": "x"}, "spec": {}}, crds
    )
    assert problems and "no CRD schema" in problems[0]


# --- AFAS_* settings derived from the settings classes ------------------------------------------------


def test_allowed_env_names_come_from_the_settings_classes():
    allowed = validate.allowed_env_names()
    assert {"AFAS_ENV", "AFAS_NATS_URL", "AFAS_VAR_DIR", "AFAS_TELEMETRY_SAMPLE_RATIO"} <= allowed
    for svc in SERVICES:
        prefix = f"AFAS_{svc.upper()}_"
        assert {f"{prefix}DATABASE_URL", f"{prefix}HTTP_HOST", f"{prefix}HTTP_PORT"} <= allowed
        assert f"{prefix}COMMON" not in allowed
    assert "AFAS_DECLARATION_ADMIN_TOKEN" in allowed
    assert "AFAS_IDENTITY_ADMIN_TOKEN" not in allowed


def test_required_env_names():
    assert validate.required_env_names("declaration") == {
        "AFAS_DECLARATION_DATABASE_URL",
        "AFAS_DECLARATION_ADMIN_TOKEN",
        "AFAS_DECLARATION_CSRF_SECRET",
        "AFAS_DECLARATION_NATS_PASSWORD",
    }
    assert validate.required_env_names("identity") == {
        "AFAS_IDENTITY_DATABASE_URL",
        "AFAS_IDENTITY_OPERATOR_TOKEN",
        "AFAS_IDENTITY_NATS_PASSWORD",
    }
    for svc in set(SERVICES) - {"declaration", "identity"}:
        assert validate.required_env_names(svc) == {
            f"AFAS_{svc.upper()}_DATABASE_URL",
            f"AFAS_{svc.upper()}_NATS_PASSWORD",
        }


def test_unknown_afas_name_is_rejected(docs):
    assert validate.check_policies(docs) == []
    container = _app_container(docs, "identity")
    for env in container["env"]:
        if env["name"] == "AFAS_IDENTITY_DATABASE_URL":
            env["name"] = "AFAS_IDENTITY_DATABASE_ULR"
    joined = "\n".join(validate.check_policies(docs))
    assert "AFAS_IDENTITY_DATABASE_ULR is not a known AFAS setting" in joined


def test_unknown_afas_name_in_configmap_is_rejected(docs):
    config = next(doc for doc in docs if (doc.kind, doc.name) == ("ConfigMap", "afas-config"))
    config.data["data"]["AFAS_NATS_URI"] = "nats://nats:4222"
    assert any("AFAS_NATS_URI is not a known AFAS setting" in p for p in validate.check_policies(docs))


@pytest.mark.parametrize("svc", SERVICES)
def test_deployment_without_database_url_is_rejected(docs, svc):
    container = _app_container(docs, svc)
    container["env"] = [env for env in container["env"] if env["name"] != f"AFAS_{svc.upper()}_DATABASE_URL"]
    problems = validate.check_policies(docs)
    assert any(f"Deployment/{svc} " in p and f"AFAS_{svc.upper()}_DATABASE_URL is required" in p for p in problems)


def test_empty_database_url_is_rejected(docs):
    container = _app_container(docs, "habilitation")
    container["env"] = [
        {"name": env["name"], "value": ""} if env["name"] == "AFAS_HABILITATION_DATABASE_URL" else env
        for env in container["env"]
    ]
    assert any("AFAS_HABILITATION_DATABASE_URL is required" in p for p in validate.check_policies(docs))


@pytest.mark.parametrize("name", ["AFAS_DECLARATION_ADMIN_TOKEN", "AFAS_DECLARATION_CSRF_SECRET"])
def test_declaration_without_its_secrets_is_rejected(docs, name):
    container = _app_container(docs, "declaration")
    container["env"] = [env for env in container["env"] if env["name"] != name]
    assert any(f"{name} is required" in p for p in validate.check_policies(docs))


def test_the_csrf_key_comes_from_its_own_secret(objects):
    container = objects[("Deployment", "declaration")]["spec"]["template"]["spec"]["containers"][0]
    refs = {env["name"]: env["valueFrom"]["secretKeyRef"] for env in container["env"] if "valueFrom" in env}
    assert refs["AFAS_DECLARATION_CSRF_SECRET"] == {"name": "afas-declaration-csrf", "key": "csrf-secret"}
    assert refs["AFAS_DECLARATION_ADMIN_TOKEN"]["name"] != "afas-declaration-csrf"
    assert objects[("Secret", "afas-declaration-csrf")]["stringData"] == {"csrf-secret": "REPLACE_ME"}


def test_required_setting_may_come_from_env_from(docs):
    container = _app_container(docs, "notification")
    container["env"] = [env for env in container["env"] if env["name"] != "AFAS_NOTIFICATION_DATABASE_URL"]
    config = next(doc for doc in docs if (doc.kind, doc.name) == ("ConfigMap", "afas-config"))
    config.data["data"]["AFAS_NOTIFICATION_DATABASE_URL"] = "postgresql+psycopg://afas-pg-rw/afas_notification"
    assert validate.check_policies(docs) == []


# --- broken trees, end to end ----------------------------------------------------------------------


def _broken_tree(tmp_path: Path) -> Path:
    base = tmp_path / "base"
    shutil.copytree(validate.BASE_DIR, base)
    return base


def test_broken_tree_is_rejected_end_to_end(tmp_path):
    base = _broken_tree(tmp_path)
    deployment_file = base / "apps" / "estimation.yaml"
    text = deployment_file.read_text()
    text = text.replace("path: /readyz", "path: /healthz")  # readiness must use /readyz
    text = text.replace("image: afas/estimation:0.1.0", "image: afas/estimation:latest")
    text = text.replace("- name: AFAS_ESTIMATION_DATABASE_URL", "- name: AFAS_ESTIMATION_DB_URL")
    deployment_file.write_text(text)
    cluster_file = base / "postgres" / "cluster.yaml"
    cluster_file.write_text(cluster_file.read_text().replace("instances: 3", "instances: three"))

    report = validate.validate_all(base)
    joined = "\n".join(report.problems)
    assert not report.ok
    assert "readinessProbe must be httpGet /readyz" in joined
    assert "afas/estimation:latest" in joined
    assert "AFAS_ESTIMATION_DB_URL is not a known AFAS setting" in joined
    assert "AFAS_ESTIMATION_DATABASE_URL is required in production" in joined
    assert "spec.instances" in joined


def test_missing_service_and_dangling_secret_are_reported(tmp_path):
    base = _broken_tree(tmp_path)
    apps = base / "apps" / "kustomization.yaml"
    apps.write_text(apps.read_text().replace("  - notification.yaml\n", ""))
    secrets = base / "secrets.yaml"
    docs = [d for d in yaml.safe_load_all(secrets.read_text()) if d["metadata"]["name"] != "afas-identity-db"]
    secrets.write_text(yaml.safe_dump_all(docs))

    joined = "\n".join(validate.validate_all(base).problems)
    assert "Deployment 'notification' is missing" in joined
    assert "Service 'notification' is missing" in joined
    assert "Secret 'afas-identity-db' not found" in joined


def test_unsupported_kustomization_feature_is_refused(tmp_path):
    base = _broken_tree(tmp_path)
    kfile = base / "kustomization.yaml"
    kfile.write_text(kfile.read_text() + "configMapGenerator:\n  - name: x\n    literals: [a=b]\n")
    report = validate.validate_all(base)
    assert not report.ok and "configMapGenerator" in report.problems[0]


def test_cli_exit_codes(tmp_path):
    # From another directory: the CLI must find its package and the base without relying on the cwd.
    ok = subprocess.run([sys.executable, str(VALIDATOR_PATH)], capture_output=True, text=True, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("OK: ")
    base = _broken_tree(tmp_path)
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "afas", "colour": "red"}}
    (base / "namespace.yaml").write_text(yaml.safe_dump(namespace))
    bad = subprocess.run([sys.executable, str(VALIDATOR_PATH), str(base)], capture_output=True, text=True)
    assert bad.returncode == 1
    assert "INVALID Namespace/afas" in bad.stderr and "colour" in bad.stderr


# --- Dockerfiles ------------------------------------------------------------------------------------


def _instructions(path: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, continuation lines joined, comments dropped."""
    logical, current = [], ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            current += stripped[:-1] + " "
            continue
        current += stripped
        logical.append(current)
        current = ""
    pairs = [item.split(None, 1) for item in logical]
    return [(parts[0].upper(), parts[1] if len(parts) > 1 else "") for parts in pairs]


@pytest.mark.parametrize("svc", SERVICES)
def test_dockerfile(svc, objects):
    path = validate.dockerfile_path(svc)
    instructions = _instructions(path)
    froms = [args for ins, args in instructions if ins == "FROM"]
    assert len(froms) >= 2, "multi-stage build expected"
    assert all("python:3.11-slim" in args or "${PYTHON_IMAGE}" in args for args in froms)
    assert "ARG PYTHON_IMAGE=python:3.11-slim" in path.read_text()

    users = [args for ins, args in instructions if ins == "USER"]
    assert users, "no USER instruction"
    user = users[-1].split(":")[0]
    assert user not in ("root", "0") and user.isdigit() and int(user) == validate.NON_ROOT_UID
    last_user_at = max(i for i, (ins, _) in enumerate(instructions) if ins == "USER")
    assert all(ins != "RUN" for ins, _ in instructions[last_user_at:]), "RUN after the final USER"

    runs = " ".join(args for ins, args in instructions if ins == "RUN")
    assert re.search(rf"uv sync --frozen --no-dev --package afas-{svc} --no-editable", runs)
    assert ("EXPOSE", "8080") in instructions
    assert ("EXPOSE", "8180") in instructions  # the internal port: /metrics, /internal/*
    assert instructions[-1] == ("CMD", f'["python", "-m", "afas_{svc}"]')

    image = validate.dockerfile_image(path)
    assert image == f"afas/{svc}:0.1.0"
    assert f"docker build -f services/{svc}/Dockerfile -t {image} ." in path.read_text()
    container = objects[("Deployment", svc)]["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == image


@pytest.mark.parametrize("svc", SERVICES)
def test_metrics_and_internal_routes_are_on_the_internal_port_only(objects, svc):
    deployment = objects[("Deployment", svc)]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "internal", "containerPort": 8180, "protocol": "TCP"} in container["ports"]
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert (annotations["prometheus.io/port"], annotations["prometheus.io/path"]) == ("8180", "/metrics")
    assert objects[("ConfigMap", "afas-config")]["data"][f"AFAS_{svc.upper()}_INTERNAL_PORT"] == "8180"
    assert all(p["targetPort"] == "http" for p in objects[("Service", svc)]["spec"]["ports"])


def test_scraping_the_public_port_or_exposing_the_internal_one_is_reported(docs):
    assert validate.check_policies(docs) == []
    deployment = next(doc for doc in docs if (doc.kind, doc.name) == ("Deployment", "identity"))
    deployment.data["spec"]["template"]["metadata"]["annotations"]["prometheus.io/port"] = "8080"
    service = next(doc for doc in docs if (doc.kind, doc.name) == ("Service", "habilitation"))
    service.data["spec"]["ports"].append({"name": "internal", "port": 8180, "targetPort": "internal"})
    container = _app_container(docs, "estimation")
    container["ports"] = [p for p in container["ports"] if p["name"] != "internal"]
    joined = "\n".join(validate.check_policies(docs))
    assert "prometheus.io/port must be the internal port 8180" in joined
    assert "Service/habilitation" in joined and "must not expose the internal port" in joined
    assert "container estimation: needs a port named internal on 8180" in joined
