"""Offline checks of the Kubernetes manifests (deploy/k8s): the real manifests are valid and complete, and broken
copies of them are rejected by the schema validation."""

from __future__ import annotations

import pytest

from tests.deploy.k8s_manifest_checks import SERVICES, validate

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


def test_built_in_objects_are_checked_against_the_oldest_and_the_newest_kubernetes(crds):
    """An API version valid on 1.31 but removed since (flowcontrol v1beta3, gone in 1.32) is refused, naming 1.37."""
    assert validate.K8S_VERSIONS == ("1.31", "1.37")
    flow_schema = {
        "kind": "FlowSchema",
        "metadata": {"name": "afas"},
        "spec": {"priorityLevelConfiguration": {"name": "workload-low"}, "matchingPrecedence": 1000},
    }
    current = {**flow_schema, "apiVersion": "flowcontrol.apiserver.k8s.io/v1"}
    assert validate.validate_doc(current, crds) == []
    removed = {**flow_schema, "apiVersion": "flowcontrol.apiserver.k8s.io/v1beta3"}
    problems = validate.validate_doc(removed, crds)
    assert problems and all("1.37" in p for p in problems)


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
