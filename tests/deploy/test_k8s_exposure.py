"""What the overlays expose: the Ingress serves every public path of the gateway and nothing internal, over TLS;
NATS's client port is open to exactly who has a NATS user in the bus permission table."""

from __future__ import annotations

import re

import pytest

from afas_shared.contracts import bus_permissions
from tests.deploy.k8s_manifest_checks import REPO_ROOT, SERVICES, validate

EXPOSURE = __import__("manifest_checks.exposure", fromlist=["path_serves"])
GATEWAY = REPO_ROOT / "services" / "declaration" / "src" / "afas_declaration" / "gateway"
# A route literal in a decorator or add_api_route call, and an APIRouter's prefix: read from the sources, since
# building the gateway's app to list its routes costs seconds of imports.
_ROUTE = re.compile(r"""\.(?:get|post|put|patch|delete|api_route|add_api_route)\(\s*["'](/[^"']*)["']""")
_PREFIX = re.compile(r"""APIRouter\([^)]*prefix=["'](/[^"']*)["']""")


def gateway_public_paths() -> set[str]:
    """Every path the gateway's API and pages serve, as written in their routers (placeholders kept)."""
    paths = set()
    for source in (GATEWAY / "web").glob("*.py"):
        paths |= set(_ROUTE.findall(source.read_text(encoding="utf-8")))
    for source in (GATEWAY / "api").glob("*.py"):
        text = source.read_text(encoding="utf-8")
        for prefix in _PREFIX.findall(text):
            paths |= {prefix + route.rstrip("/") for route in _ROUTE.findall(text)} | {prefix}
    return paths


def _ingress_paths(report) -> list[dict]:
    [ingress] = [doc.data for doc in report.docs if doc.kind == "Ingress"]
    return [p for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]


def test_the_route_scan_finds_the_pages_and_the_api():
    paths = gateway_public_paths()
    assert {"/", "/connexion", "/static/{name}", "/caf/campagnes/{campaign_id}/export.xlsx"} <= paths
    assert any(p.startswith("/api/v1/auth/") for p in paths) and len(paths) > 100


@pytest.mark.parametrize("overlay", ["dev", "prod"])
def test_the_ingress_serves_every_public_path_and_no_internal_one(overlay_reports, overlay):
    ingress_paths = _ingress_paths(overlay_reports[overlay])
    uncovered = sorted(
        path
        for path in gateway_public_paths()
        if not any(EXPOSURE.path_serves(p["path"], p["pathType"], path) for p in ingress_paths)
    )
    assert uncovered == [], "add their first path segment to deploy/k8s/base/ingress.yaml"
    for internal in ("/internal/v1/status", "/metrics", "/healthz", "/readyz", "/openapi.json", "/docs"):
        assert not any(EXPOSURE.path_serves(p["path"], p["pathType"], internal) for p in ingress_paths), internal


def test_prefix_matching_follows_kubernetes_path_elements():
    assert EXPOSURE.path_serves("/caf", "Prefix", "/caf/campagnes")
    assert not EXPOSURE.path_serves("/caf", "Prefix", "/cafe")
    assert not EXPOSURE.path_serves("/mot-de-passe", "Prefix", "/mot-de-passe-oublie")
    assert EXPOSURE.path_serves("/", "Prefix", "/internal/v1/status")
    assert not EXPOSURE.path_serves("/", "Exact", "/metrics")


def _ingress(docs):
    return next(doc for doc in docs if doc.kind == "Ingress").data


def test_an_ingress_exposing_internal_paths_or_without_tls_is_reported(docs):
    ingress = _ingress(docs)
    ingress["spec"]["rules"][0]["http"]["paths"][0]["pathType"] = "Prefix"  # "/" as a prefix: everything
    ingress["spec"]["rules"][0]["http"]["paths"][1]["pathType"] = "ImplementationSpecific"
    ingress["spec"]["rules"][0]["http"]["paths"][2]["backend"]["service"]["name"] = "identity"
    ingress["spec"]["tls"][0]["hosts"] = ["other.example"]
    del ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"]
    problems = "\n".join(validate.check_policies(docs))
    assert "path '/': would expose /internal" in problems and "/metrics" in problems
    assert "pathType must be Exact or Prefix" in problems
    assert "must go to Service declaration port http" in problems
    assert "is not covered by a tls entry" in problems
    assert "cert-manager issuer annotation" in problems


def test_an_ingress_host_other_than_the_public_urls_is_reported(docs):
    config = next(doc for doc in docs if (doc.kind, doc.name) == ("ConfigMap", "afas-config")).data
    config["data"]["AFAS_NOTIFICATION_PUBLIC_BASE_URL"] = "https://elsewhere.example"
    problems = "\n".join(validate.check_policies(docs))
    assert "public URL host 'elsewhere.example' (afas-config) is served by no Ingress rule" in problems


def test_nats_clients_are_the_services_with_a_bus_user_and_the_caf_consumers(report):
    """The users of the rendered nats.conf (generated from the permission table) against the NetworkPolicies."""
    [config] = [doc.data for doc in report.docs if (doc.kind, doc.name) == ("ConfigMap", "nats-config")]
    users = set(re.findall(r'^\s*user: "([^"]+)"', config["data"]["nats.conf"], re.M))
    assert users == set(bus_permissions.all_permissions())
    inside, outside = EXPOSURE.nats_clients(report.docs)
    # each service logs in from its own pods; the Caf consumer from its namespace; admin through kubectl exec only
    assert inside == users & set(SERVICES) == set(SERVICES)
    assert bus_permissions.CAF_CONSUMER in users and outside == {"afas-caf-consumers"}
    assert users - inside - {bus_permissions.CAF_CONSUMER} == {bus_permissions.ADMIN}


def _policy(docs, name):
    return next(doc for doc in docs if (doc.kind, doc.name) == ("NetworkPolicy", name)).data


def test_a_policy_out_of_step_with_the_bus_permissions_is_reported(docs):
    nats = _policy(docs, "nats")
    selector = nats["spec"]["ingress"][0]["from"][0]["podSelector"]["matchExpressions"][0]
    selector["values"] = [s for s in selector["values"] if s != "estimation"]
    egress = _policy(docs, "services-egress")["spec"]["podSelector"]["matchExpressions"][0]
    egress["values"] = [s for s in egress["values"] if s != "identity"]
    problems = "\n".join(validate.check_policies(docs))
    assert "the bus permissions have users" in problems
    assert "service identity: no NetworkPolicy lets it reach NATS" in problems


def test_a_policy_opening_a_service_to_another_is_reported(docs):
    gateway = _policy(docs, "gateway-from-ingress")
    gateway["spec"]["ingress"].append(
        {"from": [{"podSelector": {"matchLabels": {"app.kubernetes.io/name": "estimation"}}}]}
    )
    assert any("services talk over the bus" in p for p in validate.check_policies(docs))


def test_without_the_caf_consumer_account_its_namespace_must_be_closed(docs, monkeypatch):
    table = bus_permissions.all_permissions()
    del table[bus_permissions.CAF_CONSUMER]
    monkeypatch.setattr(EXPOSURE, "all_permissions", lambda: table)
    assert any("has no caf-consumer account: expected 0" in p for p in EXPOSURE.check_bus_network(docs))
