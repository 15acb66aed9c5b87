"""deploy/k8s: NATS with authorization from the permission table, a Secret per credential, NetworkPolicies."""

from __future__ import annotations

import importlib.util
import sys
import textwrap
from pathlib import Path

import pytest

from afas_shared.contracts.bus_permissions import SERVICES
from afas_shared.nats_auth import HASH_PLACEHOLDER, USERS, authorization_block

CHECKS_DIR = Path(__file__).resolve().parents[2] / "deploy" / "k8s" / "manifest_checks"


def _load_checks():
    if "manifest_checks" in sys.modules:
        return sys.modules["manifest_checks"]
    spec = importlib.util.spec_from_file_location(
        "manifest_checks", CHECKS_DIR / "__init__.py", submodule_search_locations=[str(CHECKS_DIR)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def objects():
    report = _load_checks().validate_all()
    assert report.problems == []
    return {(doc.kind, doc.name): doc.data for doc in report.docs}


def _generated_block(conf: str) -> str:
    begin, end = "# BEGIN generated authorization\n", "# END generated authorization"
    return textwrap.dedent(conf[conf.index(begin) + len(begin) : conf.index(end)]).rstrip("\n")


def test_the_nats_config_has_the_authorization_generated_from_the_table(objects):
    conf = objects[("ConfigMap", "nats-config")]["data"]["nats.conf"]
    assert "authorization {" in conf
    expected = authorization_block({u: HASH_PLACEHOLDER.format(user=u) for u in USERS})
    assert _generated_block(conf) == expected, "regenerate: python -m afas_shared.nats_auth authorization"
    assert "tls {" in conf  # the documented TLS option, commented out


@pytest.mark.parametrize("svc", SERVICES)
def test_each_service_reads_its_own_nats_password_from_its_secret(objects, svc):
    container = objects[("Deployment", svc)]["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e for e in container["env"]}
    ref = env[f"AFAS_{svc.upper()}_NATS_PASSWORD"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": f"afas-{svc}-nats", "key": "password"}
    assert ("Secret", f"afas-{svc}-nats") in objects
    others = {f"afas-{o}-nats" for o in SERVICES if o != svc} | {"afas-nats-admin", "afas-nats-caf-consumer"}
    refs = {((e.get("valueFrom") or {}).get("secretKeyRef") or {}).get("name") for e in container["env"]}
    assert not refs & others


def test_credentials_of_the_caf_consumer_and_the_operator_exist(objects):
    assert ("Secret", "afas-nats-caf-consumer") in objects
    assert ("Secret", "afas-nats-admin") in objects


def test_default_deny_then_only_what_is_needed(objects):
    policies = {name: data["spec"] for (kind, name), data in objects.items() if kind == "NetworkPolicy"}
    deny = policies["default-deny"]
    assert deny["podSelector"] == {} and set(deny["policyTypes"]) == {"Ingress", "Egress"}
    assert "ingress" not in deny and "egress" not in deny

    gateway = policies["gateway-from-ingress"]
    assert gateway["podSelector"]["matchLabels"]["app.kubernetes.io/name"] == "declaration"
    (rule,) = gateway["ingress"]
    assert rule["ports"] == [{"protocol": "TCP", "port": 8080}]
    assert rule["from"][0]["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "ingress-nginx"}

    egress = policies["services-egress"]
    assert egress["podSelector"]["matchExpressions"][0]["values"] == list(SERVICES)
    ports = sorted(p["port"] for rule in egress["egress"] for p in rule["ports"])
    assert ports == [4222, 4318, 5432]

    nats = policies["nats"]
    assert sorted(p["port"] for rule in nats["ingress"] for p in rule["ports"]) == [4222, 4222, 6222, 7777]
