"""What the monitoring test compares: the metric names the code exports, and the ones a PromQL expression reads.

Exported names come from the processes' own Prometheus registry once every service's code is imported (its
``bootstrap`` pulls in every module that declares a metric), expanded as the text exposition names them
(``_total`` of a counter, ``_bucket``/``_sum``/``_count`` of a histogram…). Expressions are parsed with a real PromQL
parser (``promql-parser``), so a syntax error fails too; Grafana's variables are replaced by plain values first.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from typing import Any

import promql_parser
from prometheus_client import REGISTRY

SERVICES = ("identity", "habilitation", "declaration", "estimation", "notification")

# The prometheus-nats-exporter sidecar's metrics the dashboards and rules use, for the version pinned in
# deploy/k8s/base/nats/statefulset.yaml (0.17.3): the JetStream ones are built in its collector/jsz.go as
# jetstream_<server|stream|consumer>_<field>, the server ones from /varz as gnatsd_varz_<field>. Not our code, so
# not in our registry: a new one goes here after checking the exporter's source for that version.
NATS_EXPORTER_METRICS = frozenset(
    {
        "jetstream_stream_total_messages",
        "jetstream_stream_total_bytes",
        "jetstream_consumer_num_pending",
        "jetstream_consumer_num_ack_pending",
        "jetstream_consumer_num_redelivered",
        "jetstream_server_total_message_bytes",
        "jetstream_server_max_storage",
        "gnatsd_varz_connections",
        "gnatsd_varz_slow_consumers",
        "gnatsd_varz_in_msgs",
        "gnatsd_varz_out_msgs",
    }
)

_SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_sum", "_count", "_created"),
    "summary": ("", "_sum", "_count", "_created"),
    "gauge": ("",),
    "info": ("_info",),
    "stateset": ("",),
    "gaugehistogram": ("_bucket", "_gsum", "_gcount"),
    "unknown": ("",),
}

# Grafana's built-in and dashboard variables, as a query would be sent once Grafana has expanded them.
_GRAFANA_VARIABLES = {
    "$__rate_interval": "5m",
    "$__interval": "1m",
    "$__range": "1h",
    "${datasource}": "prometheus",
}
_LABEL_VALUES = re.compile(r"^label_values\(\s*(?P<query>.+?)\s*,\s*[A-Za-z_][A-Za-z0-9_]*\s*\)$")


def exported_metric_names() -> frozenset[str]:
    """Every sample name the AFAS processes can expose on /metrics."""
    for service in SERVICES:
        importlib.import_module(f"afas_{service}.bootstrap")
    names = set()
    for family in REGISTRY.collect():
        names.update(f"{family.name}{suffix}" for suffix in _SUFFIXES.get(family.type, ("",)))
    return frozenset(names)


# Added to every series by Prometheus from the scrape target (PodMonitor), not by the code.
TARGET_LABELS = frozenset({"namespace", "pod", "container", "job", "instance", "endpoint", "le", "__name__"})


def exported_metric_labels() -> dict[str, frozenset[str]]:
    """The label names of every metric the code declares with ``labelnames`` (family name, without suffix); custom
    collectors and the process collector are left out (their labels are not declared up front)."""
    exported_metric_names()  # every service's metrics declared
    labels = {}
    for name, collector in REGISTRY._names_to_collectors.items():  # the client's only index of its metrics
        declared = getattr(collector, "_labelnames", None)
        if declared is not None:
            labels[name] = frozenset(declared)
    return labels


def unknown_labels(expr: str, labels: dict[str, frozenset[str]]) -> set[str]:
    """Labels an expression matches on or groups by that none of its metrics carries (``metric:label``)."""
    root = promql_parser.parse(expand_grafana(expr))
    selectors: list[tuple[str, list[str]]] = []
    grouping: list[str] = []
    stack = [root]
    while stack:
        node = stack.pop()
        kind = type(node).__name__
        if kind == "VectorSelector":
            selectors.append((node.name, [m.name for m in node.matchers.matchers] if node.matchers else []))
        elif kind == "AggregateExpr" and node.modifier is not None:
            grouping.extend(node.modifier.labels)
        stack.extend(_children(node))
    wrong, carried = set(), set(TARGET_LABELS)
    for name, matched in selectors:
        family = next(
            (name.removesuffix(s) for s in ("", *_SUFFIXES["histogram"], "_total") if name.removesuffix(s) in labels),
            None,
        )
        if family is None:
            return set()  # a metric whose labels are not declared: nothing to hold the expression to
        carried |= labels[family]
        wrong |= {f"{name}:{label}" for label in matched if label not in labels[family] | TARGET_LABELS}
    # label_join's new label ("campaign") is made by the query itself
    made = set(re.findall(r'label_(?:join|replace)\([^"]*"([A-Za-z_][A-Za-z0-9_]*)"', expr))
    return wrong | {f"by:{label}" for label in grouping if label not in carried | made}


def expand_grafana(expr: str) -> str:
    for variable, value in _GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    return re.sub(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?", "x", expr)  # a dashboard variable, inside a label matcher


def _children(node: Any) -> Iterator[Any]:
    for attribute in ("lhs", "rhs", "expr", "param", "vector_selector"):
        child = getattr(node, attribute, None)
        if child is not None and type(child).__module__ == "promql_parser":
            yield child
    yield from getattr(node, "args", None) or []


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects; raises ``ValueError`` for invalid PromQL or a nameless selector."""
    root = promql_parser.parse(expand_grafana(expr))
    found, stack = set(), [root]
    while stack:
        node = stack.pop()
        if type(node).__name__ == "VectorSelector":
            if not node.name:
                raise ValueError(f"a selector without a metric name in {expr!r}")
            found.add(node.name)
        stack.extend(_children(node))
    return found


def grafana_query_metric_names(query: str) -> set[str]:
    """A template variable's query: ``label_values(<selector>, label)`` or plain PromQL."""
    match = _LABEL_VALUES.match(query.strip())
    return metric_names(match["query"] if match else query)


def dashboard_queries(dashboard: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """(where, expression) of every panel target and every query variable, rows' nested panels included."""
    panels = list(dashboard.get("panels") or [])
    while panels:
        panel = panels.pop()
        panels.extend(panel.get("panels") or [])
        for target in panel.get("targets") or []:
            yield f"panel {panel.get('title')!r}", target["expr"]
    for variable in (dashboard.get("templating") or {}).get("list") or []:
        if variable.get("type") == "query":
            query = variable["query"]
            yield f"variable {variable['name']!r}", query["query"] if isinstance(query, dict) else query


def unknown_metrics(expr: str, known: frozenset[str]) -> set[str]:
    return metric_names(expr) - known
