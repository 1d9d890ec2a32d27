"""HorizontalPodAutoscalers on simulated usage and PodDisruptionBudget status, through kubectl and the Python
client: scale-up under load with upstream's conditions, a missing scale target, and disruptionsAllowed."""

from __future__ import annotations

import re

from kubernetes import client

from tests.sandbox.sim.conftest import Sim, condition, deployment


def _hpa(name: str, target: str, utilization: int = 50, max_replicas: int = 6) -> dict[str, object]:
    return {"apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler", "metadata": {"name": name},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": target},
                     "minReplicas": 1, "maxReplicas": max_replicas,
                     "metrics": [{"type": "Resource", "resource": {"name": "cpu", "target": {
                         "type": "Utilization", "averageUtilization": utilization}}}]}}


def test_hpa_scales_up_under_load(sim: Sim, ns: str, api: client.ApiClient) -> None:
    sim.apply(ns, deployment("busy", annotations={"sim.kubegenie.io/cpu": "225m"},
                             container={"resources": {"requests": {"cpu": "100m"}}}))
    sim.ok("-n", ns, "rollout", "status", "deployment/busy", "--timeout=60s")
    sim.apply(ns, _hpa("busy", "busy"))
    autoscaling = client.AutoscalingV2Api(api)

    def scaled() -> client.V2HorizontalPodAutoscaler | None:
        found = autoscaling.read_namespaced_horizontal_pod_autoscaler("busy", ns)
        return found if found.status and found.status.desired_replicas and found.status.desired_replicas > 1 else None

    hpa = sim.wait("the HPA to scale up", scaled, 120)
    # 225m (give or take 4 %) used of 100m requested against a 50 % target: ceil(1 * 2.25 / 0.5) = 5 replicas.
    assert hpa.status.desired_replicas == 5
    conditions = {c.type: c for c in hpa.status.conditions}
    assert conditions["AbleToScale"].status == "True"
    assert conditions["AbleToScale"].reason == "SucceededRescale"
    assert conditions["AbleToScale"].message == "the HPA controller was able to update the target scale to 5"
    assert conditions["ScalingActive"].reason == "ValidMetricFound"
    assert conditions["ScalingActive"].message == ("the HPA was able to successfully calculate a replica count from "
                                                   "cpu resource utilization (percentage of request)")
    assert conditions["ScalingLimited"].status == "False"
    assert 215 <= hpa.status.current_metrics[0].resource.current.average_utilization <= 235
    apps = client.AppsV1Api(api)
    assert apps.read_namespaced_deployment("busy", ns).spec.replicas in (5, 6)  # 6 once the next sync ran
    events = sim.get_json("-n", ns, "events", "--field-selector", "reason=SuccessfulRescale")["items"]
    assert events[0]["message"] == "New size: 5; reason: cpu resource utilization (percentage of request) above target"
    assert events[0]["source"]["component"] == "horizontal-pod-autoscaler"
    sim.wait("6 replicas at the maximum", lambda: autoscaling.read_namespaced_horizontal_pod_autoscaler(
        "busy", ns).status.desired_replicas == 6, 120)
    limited = condition(sim.get_json("-n", ns, "hpa", "busy"), "ScalingLimited")
    assert limited is not None and limited["status"] == "True" and limited["reason"] == "TooManyReplicas"


def test_hpa_reports_a_missing_target(sim: Sim, ns: str) -> None:
    sim.apply(ns, _hpa("orphan", "ghost"))
    sim.wait("FailedGetScale", lambda: (condition(sim.store_get("autoscaling/horizontalpodautoscalers", ns, "orphan")
                                                  or {}, "AbleToScale") or {}).get("reason") == "FailedGetScale", 60)
    text = sim.ok("-n", ns, "describe", "hpa", "orphan")
    assert re.search(r"AbleToScale\s+False\s+FailedGetScale\s+the HPA controller was unable to get the target's "
                     r"current scale: deployments/scale.apps \"ghost\" not found", text)
    assert re.search(r"Warning\s+FailedGetScale\s+\S+\s+horizontal-pod-autoscaler\s+deployments/scale.apps "
                     r"\"ghost\" not found", text)


def test_hpa_without_requests_cannot_compute(sim: Sim, ns: str) -> None:
    sim.apply(ns, deployment("norequests"))
    sim.ok("-n", ns, "rollout", "status", "deployment/norequests", "--timeout=60s")
    sim.apply(ns, _hpa("norequests", "norequests"))
    active = sim.wait("ScalingActive=False", lambda: (lambda c: c if c and c.get("status") == "False" else None)(
        condition(sim.store_get("autoscaling/horizontalpodautoscalers", ns, "norequests") or {}, "ScalingActive")),
        60)
    assert active["reason"] == "FailedGetResourceMetric"
    pod = sim.pods(ns, "norequests-")[0]["metadata"]["name"]
    assert active["message"] == (f"the HPA was unable to compute the replica count: failed to get cpu utilization: "
                                 f"missing request for cpu in container app of Pod {pod}")


def test_pdb_reports_disruptions_allowed(sim: Sim, ns: str) -> None:
    sim.apply(ns, deployment("guarded", replicas=3))
    sim.ok("-n", ns, "rollout", "status", "deployment/guarded", "--timeout=60s")
    sim.apply(ns, {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "guarded"},
                   "spec": {"minAvailable": 2, "selector": {"matchLabels": {"app": "guarded"}}}})
    pdb = sim.wait("PDB status", lambda: (sim.store_get("policy/poddisruptionbudgets", ns, "guarded") or {})
                   .get("status", {}).get("expectedPods") == 3 and sim.get_json("-n", ns, "pdb", "guarded"), 30)
    assert {k: pdb["status"][k] for k in ("currentHealthy", "desiredHealthy", "disruptionsAllowed", "expectedPods")} \
        == {"currentHealthy": 3, "desiredHealthy": 2, "disruptionsAllowed": 1, "expectedPods": 3}
    allowed = condition(pdb, "DisruptionAllowed")
    assert allowed is not None and allowed["status"] == "True" and allowed["reason"] == "SufficientPods"
    sim.apply(ns, {"apiVersion": "policy/v1", "kind": "PodDisruptionBudget", "metadata": {"name": "strict"},
                   "spec": {"maxUnavailable": 0, "selector": {"matchLabels": {"app": "guarded"}}}})
    strict = sim.wait("strict PDB status", lambda: (sim.store_get("policy/poddisruptionbudgets", ns, "strict") or {})
                      .get("status", {}).get("expectedPods") == 3 and sim.get_json("-n", ns, "pdb", "strict"), 30)
    assert strict["status"]["disruptionsAllowed"] == 0
    assert condition(strict, "DisruptionAllowed")["reason"] == "InsufficientPods"  # type: ignore[index]


def test_hpa_scale_down_waits_for_the_stabilisation_window(sim: Sim, ns: str) -> None:
    sim.apply(ns, deployment("idle", replicas=3, annotations={"sim.kubegenie.io/cpu": "5m"},
                             container={"resources": {"requests": {"cpu": "100m"}}}))
    sim.ok("-n", ns, "rollout", "status", "deployment/idle", "--timeout=60s")
    sim.apply(ns, _hpa("idle", "idle"))
    created = sim.now()

    def able() -> dict[str, object] | None:
        return condition(sim.store_get("autoscaling/horizontalpodautoscalers", ns, "idle") or {}, "AbleToScale")

    stabilized = sim.wait("ScaleDownStabilized", lambda: (lambda c: c if c and c.get("reason")
                                                          == "ScaleDownStabilized" else None)(able()), 60)
    assert stabilized["message"] == ("recent recommendations were higher than current one, applying the highest "
                                     "recent recommendation")
    assert (sim.store_get("apps/deployments", ns, "idle") or {})["spec"]["replicas"] == 3
    sim.wait("the scale-down", lambda: (sim.store_get("apps/deployments", ns, "idle") or {})["spec"]["replicas"] == 1,
             420)
    assert sim.now() - created >= 300
    rescaled = [e["message"] for e in sim.store_list("events", ns) if e["reason"] == "SuccessfulRescale"]
    assert rescaled == ["New size: 1; reason: All metrics below target"]
