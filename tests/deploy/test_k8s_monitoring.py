"""Monitoring as code: the rendered kustomization's alerts, dashboards, monitors and lag autoscalers name only metrics
the code exports (collected from its registry), each alert has its runbook, and the lag HPAs have an adapter rule."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.deploy.k8s_manifest_checks import REPO_ROOT, SERVICES, validate
from tests.deploy.monitoring_checks import (
    NATS_EXPORTER_METRICS,
    dashboard_queries,
    exported_metric_labels,
    exported_metric_names,
    grafana_query_metric_names,
    metric_names,
    unknown_labels,
    unknown_metrics,
)

RUNBOOKS = REPO_ROOT / "docs" / "operations" / "runbooks"
ADAPTER_VALUES = REPO_ROOT / "deploy" / "k8s" / "monitoring" / "prometheus-adapter-values.yaml"
DASHBOARDS = ("afas-overview.json", "afas-bus.json", "afas-security.json", "afas-mail.json")


@pytest.fixture(scope="session")
def known() -> frozenset[str]:
    return exported_metric_names() | NATS_EXPORTER_METRICS


@pytest.fixture(scope="module")
def rules(report) -> list[dict]:
    [rule] = [doc.data for doc in report.docs if doc.kind == "PrometheusRule"]
    return [r for group in rule["spec"]["groups"] for r in group["rules"]]


@pytest.fixture(scope="module")
def dashboards(report) -> dict[str, dict]:
    [config_map] = [doc.data for doc in report.docs if (doc.kind, doc.name) == ("ConfigMap", "afas-grafana-dashboards")]
    return {name: json.loads(text) for name, text in config_map["data"].items()}


def test_the_code_exports_the_platform_metrics(known):
    """The collection works: the registry holds the new metrics of every service (not a hand list)."""
    for name in (
        "afas_consumer_pending_messages",
        "afas_dead_letters_waiting",
        "afas_outbox_pending",
        "afas_rpc_client_seconds_bucket",
        "afas_rpc_server_errors_total",
        "afas_http_refusals_total",
        "afas_login_lockouts_total",
        "afas_mails_total",
        "afas_declarations",
        "afas_declarations_transmitted_total",
    ):
        assert name in known


def test_every_alert_names_exported_metrics_and_has_its_runbook(rules, known):
    assert len(rules) >= 8
    for rule in rules:
        assert unknown_metrics(rule["expr"], known) == set(), rule["alert"]
        assert rule["labels"]["severity"] in ("warning", "critical"), rule["alert"]
        runbook = rule["annotations"]["runbook_url"]
        assert runbook.startswith("https://") and "/docs/operations/runbooks/" in runbook, rule["alert"]
        page = RUNBOOKS / runbook.rsplit("/", 1)[1]
        assert page.is_file(), f"{rule['alert']}: no runbook {page}"
        text = page.read_text(encoding="utf-8")
        assert rule["alert"] in text, f"{page.name} does not name its alert"
        for section in ("## What it means", "## How to check", "## How to fix"):
            assert section in text, f"{page.name}: missing {section!r}"


def test_the_alerts_cover_what_operators_must_hear_of(rules):
    by_metric = {name for rule in rules for name in metric_names(rule["expr"])}
    for metric in (
        "afas_consumer_pending_messages",  # lag growing
        "afas_dead_letters_waiting",  # dead letters present
        "afas_outbox_pending",  # outbox pending > N for M minutes
        "afas_http_requests_total",  # 5xx rate
        "afas_http_request_seconds_bucket",  # p99 above target
    ):
        assert metric in by_metric
    outbox = next(r for r in rules if "afas_outbox_pending" in metric_names(r["expr"]))
    assert outbox["for"] and ">" in outbox["expr"]


def test_every_runbook_belongs_to_an_alert(rules):
    linked = {rule["annotations"]["runbook_url"].rsplit("/", 1)[1] for rule in rules}
    assert {page.name for page in RUNBOOKS.glob("*.md")} - {"README.md"} == linked


def test_every_dashboard_panel_names_exported_metrics(dashboards, known):
    assert sorted(dashboards) == sorted(DASHBOARDS)
    for name, dashboard in dashboards.items():
        queries = list(dashboard_queries(dashboard))
        assert len(queries) >= 4, name
        for where, expr in queries:
            parse = grafana_query_metric_names if where.startswith("variable") else metric_names
            assert parse(expr) - known == set(), f"{name}, {where}: {expr}"


def test_dashboards_are_well_formed_and_provisioned_as_files(dashboards, report):
    source = REPO_ROOT / "deploy" / "k8s" / "base" / "monitoring" / "dashboards"
    uids = [d["uid"] for d in dashboards.values()]
    assert len(set(uids)) == len(uids)
    for name, dashboard in dashboards.items():
        assert dashboard == json.loads((source / name).read_text(encoding="utf-8"))
        ids = [p["id"] for p in dashboard["panels"]]
        assert len(set(ids)) == len(ids), name
        assert all(p["type"] != "graph" for p in dashboard["panels"])  # the removed legacy panel
    [config_map] = [doc.data for doc in report.docs if (doc.kind, doc.name) == ("ConfigMap", "afas-grafana-dashboards")]
    assert config_map["metadata"]["labels"]["grafana_dashboard"] == "1"


def test_alerts_and_panels_filter_and_group_by_labels_their_metrics_carry(rules, dashboards):
    """A matcher or a ``by`` on a label the metric does not have selects nothing: an empty panel, a silent alert."""
    labels = exported_metric_labels()
    queries = [(rule["alert"], rule["expr"]) for rule in rules]
    queries += [
        (f"{name}, {where}", expr)
        for name, dashboard in dashboards.items()
        for where, expr in dashboard_queries(dashboard)
        if where.startswith("panel")
    ]
    assert len(queries) > 50
    for where, expr in queries:
        assert unknown_labels(expr, labels) == set(), f"{where}: {expr}"


def test_the_label_checker_rejects_a_label_the_metric_lacks():
    labels = exported_metric_labels()
    assert labels["afas_mails"] == {"outcome"}
    assert unknown_labels('sum by (outcome) (rate(afas_mails_total{outcome="sent"}[5m]))', labels) == set()
    assert unknown_labels('sum by (campaign) (rate(afas_mails_total{state="sent"}[5m]))', labels) == {
        "afas_mails_total:state",
        "by:campaign",
    }


def test_the_checker_rejects_an_unknown_metric_and_bad_promql(known):
    assert unknown_metrics('sum(rate(afas_nonexistent_total{service="x"}[5m]))', known) == {"afas_nonexistent_total"}
    assert unknown_metrics("afas_outbox_pending > on(service) group_left afas_outbox_pendin", known) == {
        "afas_outbox_pendin"
    }
    with pytest.raises(ValueError):
        metric_names("sum(rate(afas_mails_total[5m])")


def test_pod_monitors_scrape_every_service_on_its_internal_port_and_nats_through_its_exporter(objects):
    services = objects[("PodMonitor", "afas-services")]["spec"]
    [expression] = services["selector"]["matchExpressions"]
    assert sorted(expression["values"]) == sorted(SERVICES)
    assert services["podMetricsEndpoints"] == [
        {"port": "internal", "path": "/metrics", "interval": "30s", "scrapeTimeout": "10s"}
    ]
    for svc in SERVICES:
        pod = objects[("Deployment", svc)]["spec"]["template"]
        assert pod["metadata"]["labels"]["app.kubernetes.io/name"] == svc
        assert {"name": "internal", "containerPort": 8180, "protocol": "TCP"} in pod["spec"]["containers"][0]["ports"]
    nats = objects[("PodMonitor", "afas-nats")]["spec"]
    statefulset = objects[("StatefulSet", "nats")]["spec"]["template"]
    assert nats["selector"]["matchLabels"].items() <= statefulset["metadata"]["labels"].items()
    [exporter] = [c for c in statefulset["spec"]["containers"] if c["name"] == "metrics"]
    image = exporter["image"]
    assert image.startswith("natsio/prometheus-nats-exporter:") and not image.endswith(":latest")  # pinned
    assert {"name": "metrics", "containerPort": 7777} in exporter["ports"]
    assert "-jsz=all" in exporter["args"]


def test_lag_autoscalers_have_an_adapter_rule_over_exported_metrics(objects, known):
    adapter = yaml.safe_load(Path(ADAPTER_VALUES).read_text(encoding="utf-8"))
    external_rules = {rule["name"]["as"]: rule for rule in adapter["rules"]["external"]}
    scaled_on_lag = set()
    for (kind, name), hpa in objects.items():
        if kind != "HorizontalPodAutoscaler":
            continue
        for metric in hpa["spec"]["metrics"]:
            if metric["type"] != "External":
                continue
            rule = external_rules[metric["external"]["metric"]["name"]]
            assert metric["external"]["metric"]["selector"]["matchLabels"] == {"service": name}
            assert metric["external"]["target"]["type"] == "AverageValue"
            assert metric_names(rule["seriesQuery"]) <= known
            query = rule["metricsQuery"].replace("<<.Series>>", "afas_consumer_pending_messages")
            assert metric_names(query.replace("{<<.LabelMatchers>>}", "")) <= known
            scaled_on_lag.add(name)
        assert any(m["type"] == "Resource" and m["resource"]["name"] == "cpu" for m in hpa["spec"]["metrics"])
    assert scaled_on_lag == {"declaration", "notification"}


def test_prometheus_may_reach_the_nats_exporter(objects):
    nats = objects[("NetworkPolicy", "nats")]["spec"]
    from_monitoring = [
        port["port"]
        for rule in nats["ingress"]
        for peer in rule["from"]
        if (peer.get("namespaceSelector") or {}).get("matchLabels", {}).get("kubernetes.io/metadata.name")
        == "monitoring"
        for port in rule["ports"]
    ]
    assert from_monitoring == [7777]


def test_the_loader_renders_a_hashless_generator_as_kustomize_does_and_refuses_the_rest(tmp_path):
    (tmp_path / "outside.json").write_text("{}")
    tmp_path = tmp_path / "monitoring"
    tmp_path.mkdir()
    (tmp_path / "a.json").write_text('{"panels": []}\n')
    kfile = tmp_path / "kustomization.yaml"
    generator = {"name": "boards", "files": ["a.json", "b.json=a.json"], "options": {"disableNameSuffixHash": True}}
    kfile.write_text(yaml.safe_dump({"configMapGenerator": [generator]}))
    [config_map] = validate.load_kustomization(tmp_path)
    assert config_map.data == {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": "boards"},
        "data": {"a.json": '{"panels": []}\n', "b.json": '{"panels": []}\n'},
    }
    for broken, message in (
        ({**generator, "options": {}}, "disableNameSuffixHash"),  # kustomize would add a hash to the name
        ({**generator, "files": ["../outside.json"]}, "not found"),
        ({**generator, "behavior": "merge"}, "unsupported behavior"),
    ):
        kfile.write_text(yaml.safe_dump({"configMapGenerator": [broken]}))
        with pytest.raises(validate.KustomizeError, match=message):
            validate.load_kustomization(tmp_path)
