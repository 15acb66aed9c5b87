"""What reaches the platform from outside, and who reaches NATS: the Ingress and the NetworkPolicies.

- **Ingress**: every rule is TLS (a host of its ``tls`` with a Secret, a cert-manager issuer), goes to the
  gateway's Service only, by ``Exact`` or ``Prefix`` paths (``ImplementationSpecific`` is the controller's regex
  dialect: refused), and none of them serves the internal routes (:data:`NEVER_PUBLIC`); its host is the one the
  public URLs of ``afas-config`` name, since mails and calendar feeds link there.
- **NetworkPolicies and the bus permissions** (``afas_shared.contracts.bus_permissions``, the table the NATS
  authorization is generated from): the NATS client port admits, inside the namespace, exactly the services that
  have a NATS user, and from outside exactly one namespace when the Caf consumer account exists (none otherwise);
  every such service may leave towards NATS; and no policy opens a service's pods to another service, since every
  call between them goes through the bus (``CALLS``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from afas_shared.contracts.bus_permissions import CAF_CONSUMER, SERVICES, all_permissions

from .documents import Doc
from .selectors import pod_labels, selected_workloads

GATEWAY = "declaration"
NATS_CLIENT_PORT = 4222
# Served on the internal port (8180) or for probes and integrators: never behind the Ingress.
NEVER_PUBLIC = ("/internal", "/internal/v1", "/metrics", "/healthz", "/readyz", "/openapi.json", "/docs")
ISSUER_ANNOTATIONS = ("cert-manager.io/cluster-issuer", "cert-manager.io/issuer")
PUBLIC_URL_SETTINGS = ("AFAS_IDENTITY_PUBLIC_URL", "AFAS_NOTIFICATION_PUBLIC_BASE_URL")


def path_serves(path: str, path_type: str, url_path: str) -> bool:
    """Whether an Ingress path of this type routes a request for ``url_path`` (Kubernetes' matching rules)."""
    if path_type == "Exact":
        return url_path == path
    prefix = path.rstrip("/")
    # Prefix matches element by element: /caf serves /caf and /caf/x, not /cafe
    return prefix == "" or url_path == prefix or url_path.startswith(prefix + "/")


def _check_ingress(doc: Doc, public_hosts: set[str]) -> list[str]:
    problems = []
    spec = doc.data.get("spec") or {}
    annotations = (doc.data.get("metadata") or {}).get("annotations") or {}
    issuers = [annotations[a] for a in ISSUER_ANNOTATIONS if a in annotations]
    if not issuers or any(not value or "REPLACE_ME" in value for value in issuers):
        problems.append(f"needs a cert-manager issuer annotation ({' or '.join(ISSUER_ANNOTATIONS)})")
    tls_hosts = {host for tls in spec.get("tls") or [] if tls.get("secretName") for host in tls.get("hosts") or []}
    for rule in spec.get("rules") or []:
        host = rule.get("host")
        if host not in tls_hosts:
            problems.append(f"host {host!r} is not covered by a tls entry with a secretName")
        if public_hosts and host not in public_hosts:
            problems.append(f"host {host!r} is not the host of the public URLs in afas-config {sorted(public_hosts)}")
        for path in (rule.get("http") or {}).get("paths") or []:
            where = f"path {path.get('path')!r}"
            backend = (path.get("backend") or {}).get("service") or {}
            if backend.get("name") != GATEWAY or (backend.get("port") or {}).get("name") != "http":
                problems.append(f"{where}: must go to Service {GATEWAY} port http (the public gateway)")
            if path.get("pathType") not in ("Exact", "Prefix"):
                problems.append(f"{where}: pathType must be Exact or Prefix")
                continue
            exposed = [p for p in NEVER_PUBLIC if path_serves(path["path"], path["pathType"], p)]
            if exposed:
                problems.append(f"{where}: would expose {', '.join(exposed)}")
    if spec.get("defaultBackend"):
        problems.append("a defaultBackend would serve every path, internal ones included")
    return problems


def _public_hosts(docs: list[Doc]) -> set[str]:
    config = next((d for d in docs if (d.kind, d.name) == ("ConfigMap", "afas-config")), None)
    data = (config.data.get("data") or {}) if config else {}
    return {urlsplit(data[name]).hostname or "" for name in PUBLIC_URL_SETTINGS if name in data}


def _ports(rule: dict[str, Any]) -> set[int] | None:
    """The ports a rule opens; None when it lists none (every port)."""
    ports = rule.get("ports")
    return None if not ports else {p.get("port") for p in ports}


def _opens(rule: dict[str, Any], port: int) -> bool:
    ports = _ports(rule)
    return ports is None or port in ports


def _policies(docs: list[Doc]) -> list[Doc]:
    return [doc for doc in docs if doc.kind == "NetworkPolicy"]


def nats_clients(docs: list[Doc]) -> tuple[set[str], set[str]]:
    """(workloads of the namespace, outside namespaces) the NetworkPolicies let reach NATS's client port."""
    pods = pod_labels(docs)
    inside: set[str] = set()
    outside: set[str] = set()
    for doc in _policies(docs):
        spec = doc.data.get("spec") or {}
        if "nats" not in selected_workloads(spec.get("podSelector"), pods):
            continue
        for rule in spec.get("ingress") or []:
            if not _opens(rule, NATS_CLIENT_PORT):
                continue
            for peer in rule.get("from") or [{"podSelector": {}}]:
                if "namespaceSelector" in peer:
                    labels = (peer["namespaceSelector"] or {}).get("matchLabels") or {}
                    outside.add(labels.get("kubernetes.io/metadata.name", "<any namespace>"))
                elif "podSelector" in peer:
                    inside |= selected_workloads(peer["podSelector"], pods)
                else:
                    outside.add(f"ipBlock {(peer.get('ipBlock') or {}).get('cidr')}")
    return inside - {"nats"}, outside


def _may_leave_to_nats(docs: list[Doc], service: str) -> bool:
    pods = pod_labels(docs)
    for doc in _policies(docs):
        spec = doc.data.get("spec") or {}
        if service not in selected_workloads(spec.get("podSelector"), pods):
            continue
        for rule in spec.get("egress") or []:
            to = rule.get("to") or [{"podSelector": {}}]
            reaches = any("podSelector" in p and "nats" in selected_workloads(p["podSelector"], pods) for p in to)
            if reaches and _opens(rule, NATS_CLIENT_PORT):
                return True
    return False


def _service_to_service(docs: list[Doc]) -> list[str]:
    pods = pod_labels(docs)
    problems = []
    for doc in _policies(docs):
        spec = doc.data.get("spec") or {}
        targets = selected_workloads(spec.get("podSelector"), pods) & set(SERVICES)
        for rule in spec.get("ingress") or []:
            for peer in rule.get("from") or []:
                if "podSelector" in peer and "namespaceSelector" not in peer:
                    sources = selected_workloads(peer["podSelector"], pods) & set(SERVICES)
                    if targets and sources:
                        problems.append(
                            f"{doc.label()}: opens {sorted(targets)} to {sorted(sources)}; services talk over the bus"
                        )
    return problems


def check_bus_network(docs: list[Doc]) -> list[str]:
    """The NetworkPolicies agree with the bus permission table (see the module's docstring)."""
    if not any(doc.kind == "StatefulSet" and doc.name == "nats" for doc in docs):
        return []
    table = all_permissions()
    users = {user for user in table if user in SERVICES}
    inside, outside = nats_clients(docs)
    problems = []
    if inside != users:
        problems.append(
            f"NetworkPolicies let {sorted(inside)} reach NATS on {NATS_CLIENT_PORT}; the bus permissions have "
            f"users {sorted(users)} (afas_shared.contracts.bus_permissions)"
        )
    expected_outside = 1 if CAF_CONSUMER in table else 0
    if len(outside) != expected_outside:
        problems.append(
            f"NATS's client port is open to {sorted(outside) or 'no'} outside namespace(s); the permission table "
            f"{'has' if expected_outside else 'has no'} {CAF_CONSUMER} account: expected {expected_outside}"
        )
    problems += [
        f"service {svc}: no NetworkPolicy lets it reach NATS on {NATS_CLIENT_PORT}"
        for svc in sorted(users)
        if not _may_leave_to_nats(docs, svc)
    ]
    return problems + _service_to_service(docs)


def check_exposure(docs: list[Doc]) -> list[str]:
    hosts = _public_hosts(docs) - {""}
    problems = []
    ingresses = [doc for doc in docs if doc.kind == "Ingress"]
    for doc in ingresses:
        problems.extend(f"{doc.label()}: {msg}" for msg in _check_ingress(doc, hosts))
    served = {rule.get("host") for doc in ingresses for rule in (doc.data.get("spec") or {}).get("rules") or []}
    if ingresses:
        # a link in a mail to a host no Ingress serves is a dead link
        unserved = sorted(hosts - served)
        problems += [f"public URL host {host!r} (afas-config) is served by no Ingress rule" for host in unserved]
    return problems + check_bus_network(docs)
