"""Service endpoints from selectors and readiness (Endpoints and EndpointSlices), readiness probe failures
with Unhealthy events, and LoadBalancer ingress IPs, through kubectl."""

from __future__ import annotations

import re

from tests.sandbox.sim.conftest import Sim, table


def _pod(name: str, ready: bool) -> dict[str, object]:
    annotations = {} if ready else {"sim.kubegenie.io/ready": "false"}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name, "labels": {"app": "shop"},
                                                            "annotations": annotations},
            "spec": {"containers": [{"name": "web", "image": "nginx:1.25", "ports": [{"name": "http",
                                                                                       "containerPort": 8080}],
                                     "readinessProbe": {"httpGet": {"path": "/healthz", "port": 8080},
                                                        "periodSeconds": 5}}]}}


def test_endpoints_drop_a_not_ready_pod(sim: Sim, ns: str) -> None:
    sim.apply(ns, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "shop"},
                   "spec": {"selector": {"app": "shop"}, "ports": [{"port": 80, "targetPort": "http"}]}})
    sim.apply(ns, _pod("good", ready=True))
    sim.apply(ns, _pod("sick", ready=False))

    def ips() -> dict[str, str] | None:
        found = {name: (sim.store_get("pods", ns, name) or {}).get("status", {}).get("podIP") for name in
                 ("good", "sick")}
        endpoints = sim.store_get("endpoints", ns, "shop") or {}
        subsets = endpoints.get("subsets") or []
        ready = subsets and subsets[0].get("addresses") and subsets[0].get("notReadyAddresses")
        return found if ready and all(found.values()) else None  # type: ignore[return-value]

    found = sim.wait("endpoints with one ready and one not-ready address", ips, 60)
    rows = table(sim.ok("-n", ns, "get", "endpoints", "shop"))
    assert rows[0]["ENDPOINTS"] == f"{found['good']}:8080"
    endpoints = sim.get_json("-n", ns, "endpoints", "shop")
    subset = endpoints["subsets"][0]
    assert [a["ip"] for a in subset["addresses"]] == [found["good"]]
    assert [a["ip"] for a in subset["notReadyAddresses"]] == [found["sick"]]
    assert subset["notReadyAddresses"][0]["targetRef"]["name"] == "sick"
    assert subset["ports"] == [{"port": 8080, "protocol": "TCP"}]
    slices = sim.get_json("-n", ns, "endpointslices", "-l", "kubernetes.io/service-name=shop")["items"]
    assert len(slices) == 1
    conditions = {e["targetRef"]["name"]: e["conditions"] for e in slices[0]["endpoints"]}
    assert conditions == {"good": {"ready": True, "serving": True, "terminating": False},
                          "sick": {"ready": False, "serving": False, "terminating": False}}
    assert slices[0]["metadata"]["labels"]["endpointslice.kubernetes.io/managed-by"] == \
        "endpointslice-controller.k8s.io"
    described = sim.ok("-n", ns, "describe", "pod", "sick")
    assert re.search(r"Ready:\s+False", described) and re.search(r"State:\s+Running", described)
    assert re.search(rf"Warning\s+Unhealthy\s+.*kubelet\s+Readiness probe failed: Get "
                     rf"\"http://{re.escape(found['sick'])}:8080/healthz\": dial tcp {re.escape(found['sick'])}:8080: "
                     rf"connect: connection refused", described)
    pods = {row["NAME"]: row for row in table(sim.ok("-n", ns, "get", "pods"))}
    assert pods["sick"]["READY"] == "0/1" and pods["sick"]["STATUS"] == "Running"
    assert pods["good"]["READY"] == "1/1"


def test_endpoints_follow_deletions(sim: Sim, ns: str) -> None:
    sim.apply(ns, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "shop"},
                   "spec": {"selector": {"app": "shop"}, "ports": [{"name": "web", "port": 80, "targetPort": 8080}]}})
    sim.apply(ns, _pod("only", ready=True))
    sim.wait("one address", lambda: ((sim.store_get("endpoints", ns, "shop") or {}).get("subsets") or [{}])[0]
             .get("addresses"), 60)
    sim.ok("-n", ns, "delete", "pod", "only")
    sim.wait("no addresses", lambda: not (sim.store_get("endpoints", ns, "shop") or {"subsets": [1]}).get("subsets"),
             30)
    rows = table(sim.ok("-n", ns, "get", "endpoints", "shop"))
    assert rows[0]["ENDPOINTS"] == "<none>"


def test_load_balancer_gets_an_ingress_ip(sim: Sim, ns: str) -> None:
    sim.apply(ns, {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "front"},
                   "spec": {"type": "LoadBalancer", "selector": {"app": "front"}, "ports": [{"port": 443}]}})
    address = sim.wait("an ingress IP", lambda: (((sim.store_get("services", ns, "front") or {}).get("status") or {})
                                                 .get("loadBalancer") or {}).get("ingress"), 30)
    assert re.fullmatch(r"172\.18\.255\.2\d\d", address[0]["ip"])
    rows = table(sim.ok("-n", ns, "get", "service", "front"))
    assert rows[0]["TYPE"] == "LoadBalancer" and rows[0]["EXTERNAL-IP"] == address[0]["ip"]
    text = sim.ok("-n", ns, "describe", "service", "front")
    assert re.search(r"Normal\s+EnsuringLoadBalancer\s+\S+\s+service-controller\s+Ensuring load balancer", text)
    assert re.search(r"Normal\s+EnsuredLoadBalancer\s+\S+\s+service-controller\s+Ensured load balancer", text)
