"""The Kubernetes manifest validator (deploy/k8s/validate.py) end to end: broken copies of the deploy/k8s tree are
rejected with every problem reported, and its CLI exits accordingly."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from tests.deploy.k8s_manifest_checks import VALIDATOR_PATH, validate

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


def test_a_misspelt_opentelemetry_variable_is_refused(tmp_path):
    """The SDK ignores an OTEL_* name it does not know: the validator does not."""
    base = _broken_tree(tmp_path)
    config = base / "config.yaml"
    text = config.read_text()
    assert "OTEL_EXPORTER_OTLP_PROTOCOL:" in text
    config.write_text(text.replace("OTEL_EXPORTER_OTLP_PROTOCOL:", "OTEL_EXPORTER_OTLP_PROTOCOLE:"))
    problems = validate.validate_all(base).problems
    assert any("OTEL_EXPORTER_OTLP_PROTOCOLE is not an OpenTelemetry variable" in p for p in problems), problems
    assert not any("OTEL_EXPORTER_OTLP_ENDPOINT" in p for p in problems)


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
    # From another directory: the CLI must find its package without relying on the cwd (the base only: the
    # default renderings are the next test's, without rendering them twice in a subprocess).
    ok = subprocess.run(
        [sys.executable, str(VALIDATOR_PATH), str(validate.BASE_DIR)], capture_output=True, text=True, cwd=tmp_path
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("OK: deploy/k8s/base: ")
    base = _broken_tree(tmp_path)
    namespace = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "afas", "colour": "red"}}
    (base / "namespace.yaml").write_text(yaml.safe_dump(namespace))
    bad = subprocess.run([sys.executable, str(VALIDATOR_PATH), str(base)], capture_output=True, text=True)
    assert bad.returncode == 1
    assert f"INVALID {base}: Namespace/afas" in bad.stderr and "colour" in bad.stderr


def test_without_a_directory_the_cli_validates_the_base_and_both_overlays(monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("afas_validate_cli", VALIDATOR_PATH)
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    seen: list[Path] = []
    monkeypatch.setattr(cli, "validate_all", lambda directory: seen.append(directory) or validate.Report())
    assert cli.main([]) == 0
    assert seen == [validate.BASE_DIR, validate.OVERLAYS_DIR / "dev", validate.OVERLAYS_DIR / "prod"]
    assert all(path.is_absolute() and (path / "kustomization.yaml").is_file() for path in seen)
    printed = capsys.readouterr().out.splitlines()
    assert [line.split(":")[1].strip() for line in printed] == [
        "deploy/k8s/base",
        "deploy/k8s/overlays/dev",
        "deploy/k8s/overlays/prod",
    ]
