"""Replicas, autoscaling bounds and disruption budgets agree with each other, in the base and in every overlay.

An overlay changes a Deployment's replicas, its HorizontalPodAutoscaler's bounds and its PodDisruptionBudget in
three patches: these checks catch one of them forgotten (an HPA floor under the replicas flaps at every apply, a
budget that allows no eviction blocks every node drain).
"""

from __future__ import annotations

from .documents import Doc
from .selectors import pod_labels, selected_workloads


def _replicas(doc: Doc) -> int:
    return int((doc.data.get("spec") or {}).get("replicas", 1))


def _check_autoscalers(docs: list[Doc], deployments: dict[str, Doc]) -> list[str]:
    problems = []
    for doc in docs:
        if doc.kind != "HorizontalPodAutoscaler":
            continue
        spec = doc.data.get("spec") or {}
        target = (spec.get("scaleTargetRef") or {}).get("name")
        deployment = deployments.get(target)
        low, high = int(spec.get("minReplicas", 1)), int(spec.get("maxReplicas", 0))
        if deployment is None:
            problems.append(f"{doc.label()}: scales Deployment {target!r}, which is not rendered")
            continue
        if low > high:
            problems.append(f"{doc.label()}: minReplicas {low} above maxReplicas {high}")
        if _replicas(deployment) != low:
            # the Deployment's replicas are the floor: each apply would set them back, under or over the HPA's
            problems.append(f"{doc.label()}: minReplicas {low} differs from the Deployment's replicas")
    return problems


def _check_budgets(docs: list[Doc], deployments: dict[str, Doc]) -> list[str]:
    problems = []
    pods = pod_labels(docs)
    for doc in docs:
        if doc.kind != "PodDisruptionBudget":
            continue
        spec = doc.data.get("spec") or {}
        selected = selected_workloads(spec.get("selector"), pods)
        if not selected:
            problems.append(f"{doc.label()}: selector matches no workload's pods")
            continue
        for name in sorted(selected & set(deployments)):
            replicas = _replicas(deployments[name])
            min_available, max_unavailable = spec.get("minAvailable"), spec.get("maxUnavailable")
            if isinstance(min_available, int) and min_available >= replicas:
                problems.append(
                    f"{doc.label()}: minAvailable {min_available} with {replicas} replica(s) of {name}: "
                    "no pod can ever be evicted (node drains block)"
                )
            if max_unavailable in (0, "0%"):
                problems.append(f"{doc.label()}: maxUnavailable 0 forbids every eviction of {name}")
    return problems


def check_scaling(docs: list[Doc]) -> list[str]:
    deployments = {doc.name: doc for doc in docs if doc.kind == "Deployment"}
    return _check_autoscalers(docs, deployments) + _check_budgets(docs, deployments)
