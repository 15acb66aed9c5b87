"""The dev and prod overlays: rendered like kubectl kustomize (JSON 6902 patches), valid, sized as documented, with
scaling bounds and disruption budgets that agree, and nightly PostgreSQL backups with each one's retention."""

from __future__ import annotations

import copy
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.deploy.k8s_manifest_checks import SERVICES, validate


def _objects(report) -> dict[tuple[str, str], dict]:
    return {(doc.kind, doc.name): copy.deepcopy(doc.data) for doc in report.docs}


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_each_overlay_renders_and_is_valid(overlay_reports, overlay):
    report = overlay_reports[overlay]
    assert report.problems == []
    assert {doc.namespace for doc in report.docs if doc.kind != "Namespace"} == {"afas"}


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed: nothing to compare with")
@pytest.mark.parametrize("directory", validate.RENDERINGS, ids=lambda d: d.name)
def test_the_loader_renders_what_kubectl_kustomize_renders(directory):
    rendered = subprocess.run(["kubectl", "kustomize", str(directory)], capture_output=True, text=True, check=True)
    theirs = {(o["kind"], o["metadata"]["name"]): o for o in yaml.safe_load_all(rendered.stdout) if o}
    ours = {(doc.kind, doc.name): doc.data for doc in validate.load_kustomization(directory)}
    assert ours == theirs


def test_dev_is_one_pod_per_service_with_drainable_budgets(overlay_reports):
    objects = _objects(overlay_reports["dev"])
    for svc in SERVICES:
        deployment = objects[("Deployment", svc)]
        assert deployment["spec"]["replicas"] == 1
        assert deployment["spec"]["template"]["spec"]["containers"][0]["resources"]["requests"]["cpu"] == "50m"
        budget = objects[("PodDisruptionBudget", svc)]["spec"]
        assert "minAvailable" not in budget and budget["maxUnavailable"] == 1
    for name in ("declaration", "estimation", "notification"):
        hpa = objects[("HorizontalPodAutoscaler", name)]["spec"]
        assert (hpa["minReplicas"], hpa["maxReplicas"]) == (1, 2)
    cluster = objects[("Cluster", "afas-pg")]["spec"]
    assert cluster["instances"] == 1 and cluster["backup"]["retentionPolicy"] == "7d"
    assert objects[("Ingress", "afas")]["spec"]["rules"][0]["host"] == "afas.dev.caf.example"


def test_prod_is_sized_for_the_deadline(overlay_reports):
    objects = _objects(overlay_reports["prod"])
    replicas = {svc: objects[("Deployment", svc)]["spec"]["replicas"] for svc in SERVICES}
    assert replicas == {"identity": 3, "habilitation": 2, "declaration": 3, "estimation": 2, "notification": 2}
    gateway = objects[("HorizontalPodAutoscaler", "declaration")]["spec"]
    assert (gateway["minReplicas"], gateway["maxReplicas"]) == (3, 20)
    # the CPU target stays half of the pod's limit
    limit = objects[("Deployment", "declaration")]["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]
    assert (limit["cpu"], gateway["metrics"][0]["resource"]["target"]["averageValue"]) == ("2", "1")
    assert objects[("PodDisruptionBudget", "declaration")]["spec"]["minAvailable"] == 2
    assert objects[("Cluster", "afas-pg")]["spec"]["backup"]["retentionPolicy"] == "60d"
    annotations = objects[("Ingress", "afas")]["metadata"]["annotations"]
    assert annotations["cert-manager.io/cluster-issuer"] == "letsencrypt-prod"


def test_nightly_backups_go_to_the_object_store_with_their_credentials(report):
    objects = _objects(report)
    backup = objects[("ScheduledBackup", "afas-pg-nightly")]["spec"]
    assert backup["cluster"]["name"] == "afas-pg" and backup["method"] == "barmanObjectStore"
    assert len(backup["schedule"].split()) == 6  # CloudNativePG's cron has a seconds field
    store = objects[("Cluster", "afas-pg")]["spec"]["backup"]["barmanObjectStore"]
    secret = objects[("Secret", store["s3Credentials"]["accessKeyId"]["name"])]
    assert {store["s3Credentials"][k]["key"] for k in ("accessKeyId", "secretAccessKey")} <= set(secret["stringData"])


def test_the_backup_schema_and_references_are_checked(objects, crds):
    cluster = objects[("Cluster", "afas-pg")]
    cluster["spec"]["backup"]["retentionPolicy"] = "30 days"
    cluster["spec"]["backup"]["barmanObjectStore"]["wal"]["compresion"] = "gzip"
    problems = "\n".join(validate.validate_custom(cluster, crds))
    assert "retentionPolicy" in problems and "compresion" in problems
    docs = [validate.Doc(data, Path("x.yaml")) for data in objects.values()]
    for doc in docs:
        if doc.kind == "Cluster":
            del doc.data["spec"]["backup"]
    assert any("has no spec.backup.barmanObjectStore" in p for p in validate.check_policies(docs))


def _overlay(directory: Path, patches: str) -> Path:
    """An overlay of the real base (by absolute path: nothing to copy) with these patches."""
    directory.mkdir()
    (directory / "kustomization.yaml").write_text(f"resources: [{validate.BASE_DIR}]\npatches:\n{patches}")
    return directory


def test_json_patches_add_replace_remove_and_refuse_what_kustomize_would_not_do(tmp_path):
    overlay = _overlay(
        tmp_path / "applied",
        "  - target: {kind: Deployment, name: identity}\n"
        "    patch: |\n"
        "      - {op: replace, path: /spec/replicas, value: 4}\n"
        "      - {op: add, path: /metadata/labels/tier, value: back}\n"
        "      - {op: remove, path: /spec/revisionHistoryLimit}\n"
        "      - {op: add, path: /spec/template/spec/containers/0/env/-, value: {name: X, value: y}}\n",
    )
    [identity] = [d for d in validate.load_kustomization(overlay) if (d.kind, d.name) == ("Deployment", "identity")]
    assert identity.data["spec"]["replicas"] == 4 and identity.data["metadata"]["labels"]["tier"] == "back"
    assert "revisionHistoryLimit" not in identity.data["spec"]
    assert identity.data["spec"]["template"]["spec"]["containers"][0]["env"][-1] == {"name": "X", "value": "y"}

    refused = {
        "strategic merge": "  - target: {kind: Deployment, name: identity}\n    patch: |\n      spec: {replicas: 4}\n",
        "no object": "  - target: {kind: Deployment, name: nobody}\n    patch: '[{op: remove, path: /spec}]'\n",
        "missing path": "  - target: {kind: Deployment, name: identity}\n"
        "    patch: '[{op: replace, path: /spec/x/y, value: 1}]'\n",
        "label selector": "  - target: {kind: Deployment, labelSelector: a=b}\n    patch: '[]'\n",
    }
    for case, patches in refused.items():
        with pytest.raises(validate.KustomizeError):
            validate.load_kustomization(_overlay(tmp_path / case.replace(" ", "-"), patches))


def test_replicas_bounds_and_budgets_that_disagree_are_reported(docs):
    for doc in docs:
        if (doc.kind, doc.name) == ("HorizontalPodAutoscaler", "estimation"):
            doc.data["spec"]["minReplicas"] = 3
        if (doc.kind, doc.name) == ("PodDisruptionBudget", "identity"):
            doc.data["spec"]["minAvailable"] = 2  # identity runs 2 pods
    problems = "\n".join(validate.check_policies(docs))
    assert "HorizontalPodAutoscaler/estimation" in problems and "differs from the Deployment's replicas" in problems
    assert "PodDisruptionBudget/identity" in problems and "no pod can ever be evicted" in problems
