"""What a kubelet reports when a pod needs a ConfigMap or Secret that is not there: volumes that fail to mount
(FailedMount, the pod stays ContainerCreating with no IP) and environments that cannot be built
(CreateContainerConfigError), each recovering once what was missing is created, as on a real cluster."""

from __future__ import annotations

import re
from typing import Any

from tests.sandbox.sim.conftest import Sim, condition, deployment, table


def _pod(sim: Sim, namespace: str, prefix: str) -> dict[str, Any] | None:
    pods = sim.pods(namespace, prefix)
    return pods[0] if pods else None


def _waiting(pod: dict[str, Any] | None) -> dict[str, Any]:
    statuses = ((pod or {}).get("status") or {}).get("containerStatuses") or [{}]
    return dict((statuses[0].get("state") or {}).get("waiting") or {})


def _running(sim: Sim, namespace: str, prefix: str) -> dict[str, Any] | None:
    pod = _pod(sim, namespace, prefix)
    ready = condition(pod or {}, "Ready")
    return pod if pod and ready and ready.get("status") == "True" else None


def _events(sim: Sim, namespace: str, name: str, reason: str) -> list[dict[str, Any]]:
    return [e for e in sim.store_list("events", namespace)
            if e["involvedObject"]["name"] == name and e["reason"] == reason]


def test_missing_config_map_volume_fails_to_mount_until_it_is_created(sim: Sim, ns: str) -> None:
    web = deployment("web", container={"volumeMounts": [{"name": "config", "mountPath": "/etc/web"}]},
                     replicas=1)
    web["spec"]["template"]["spec"]["volumes"] = [{"name": "config", "configMap": {"name": "web-config"}}]
    sim.apply(ns, web)

    def failing() -> list[dict[str, Any]] | None:
        pod = _pod(sim, ns, "web-")
        return _events(sim, ns, pod["metadata"]["name"], "FailedMount") if pod else None

    events = sim.wait("a FailedMount event", failing, 60)
    assert events[0]["type"] == "Warning" and events[0]["source"]["component"] == "kubelet"
    assert events[0]["message"] == 'MountVolume.SetUp failed for volume "config" : configmap "web-config" not found'
    pod = _pod(sim, ns, "web-")
    assert pod is not None
    assert pod["status"]["phase"] == "Pending" and "podIP" not in pod["status"]
    assert _waiting(pod) == {"reason": "ContainerCreating"}
    assert (condition(pod, "PodReadyToStartContainers") or {}).get("status") == "False"
    name = pod["metadata"]["name"]
    rows = {row["NAME"]: row for row in table(sim.ok("-n", ns, "get", "pods"))}
    assert (rows[name]["READY"], rows[name]["STATUS"]) == ("0/1", "ContainerCreating")
    described = sim.ok("-n", ns, "describe", "pod", name)
    assert re.search(r'Warning\s+FailedMount\s+\S+( \(x\d+ over \S+\))?\s+kubelet\s+MountVolume\.SetUp failed for '
                     r'volume "config" : configmap "web-config" not found', described), described
    retries = sim.wait("the mount to be retried", lambda: (_events(sim, ns, name, "FailedMount")[0].get("count", 1)
                                                            >= 3) or None, 60)
    assert retries
    sim.apply(ns, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "web-config"},
                   "data": {"nginx.conf": "worker_processes 1;"}})
    running = sim.wait("the pod to start once the ConfigMap exists", lambda: _running(sim, ns, "web-"), 200)
    assert running["metadata"]["name"] == name and running["status"]["podIP"]


def test_missing_keys_and_projected_sources_name_what_is_missing(sim: Sim, ns: str) -> None:
    sim.apply(ns, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls"},
                   "stringData": {"tls.crt": "-----BEGIN CERTIFICATE-----"}})
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "proxy"}, "spec": {
        "containers": [{"name": "proxy", "image": "nginx:1.27.2"}],
        "volumes": [{"name": "certs", "secret": {"secretName": "tls", "items": [{"key": "tls.key", "path": "key"}]}},
                    {"name": "bundle", "projected": {"sources": [{"configMap": {"name": "ca"}},
                                                                 {"secret": {"name": "client"}}]}},
                    {"name": "extras", "configMap": {"name": "extras", "optional": True}}]}}
    sim.apply(ns, pod)

    def both() -> dict[str, str] | None:
        found = {e["message"].split('"')[1]: e["message"] for e in _events(sim, ns, "proxy", "FailedMount")}
        return found if len(found) == 2 else None

    messages = sim.wait("FailedMount for both volumes", both, 60)
    assert messages == {
        "certs": 'MountVolume.SetUp failed for volume "certs" : references non-existent secret key: tls.key',
        "bundle": 'MountVolume.SetUp failed for volume "bundle" : [configmap "ca" not found, secret "client" not '
                  'found]'}
    sim.apply(ns, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "tls"},
                   "stringData": {"tls.crt": "-----BEGIN CERTIFICATE-----", "tls.key": "-----BEGIN KEY-----"}})
    sim.apply(ns, {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "ca"}, "data": {"ca.crt": "x"}})
    sim.apply(ns, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "client"}, "stringData": {"id": "7"}})
    assert sim.wait("the pod to start", lambda: _running(sim, ns, "proxy"), 300)


def test_missing_secret_in_env_is_a_config_error_until_fixed(sim: Sim, ns: str) -> None:
    api = deployment("api", replicas=1, container={"env": [
        {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}}]})
    sim.apply(ns, api)

    def waiting_for(message: str) -> dict[str, Any] | None:
        pod = _pod(sim, ns, "api-")
        return pod if _waiting(pod) == {"reason": "CreateContainerConfigError", "message": message} else None

    pod = sim.wait("CreateContainerConfigError", lambda: waiting_for('secret "db" not found'), 60)
    name = pod["metadata"]["name"]
    assert pod["status"]["phase"] == "Pending" and pod["status"]["podIP"]
    assert pod["status"]["containerStatuses"][0]["restartCount"] == 0
    rows = {row["NAME"]: row for row in table(sim.ok("-n", ns, "get", "pods"))}
    assert (rows[name]["READY"], rows[name]["STATUS"], rows[name]["RESTARTS"]) == (
        "0/1", "CreateContainerConfigError", "0")
    sim.wait("the kubelet to try again", lambda: (_events(sim, ns, name, "Failed")[0].get("count", 1) >= 2) or None,
             60)
    described = sim.ok("-n", ns, "describe", "pod", name)
    assert re.search(r'Warning\s+Failed\s+\S+ \(x\d+ over \S+\)\s+kubelet\s+Error: secret "db" not found', described)
    assert re.search(r'Normal\s+Pulled\s+\S+( \(x\d+ over \S+\))?\s+kubelet\s+Container image "nginx:1\.25" already '
                     r'present on machine', described), described
    sim.apply(ns, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"}, "stringData": {"user": "app"}})
    sim.wait("the missing key to be named",
             lambda: waiting_for(f"couldn't find key password in Secret {ns}/db"), 60)
    sim.apply(ns, {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db"},
                   "stringData": {"user": "app", "password": "s3cret"}})
    running = sim.wait("the container to start", lambda: _running(sim, ns, "api-"), 60)
    assert running["metadata"]["name"] == name


def test_env_from_a_missing_config_map(sim: Sim, ns: str) -> None:
    sim.apply(ns, deployment("worker", replicas=1, container={"envFrom": [{"configMapRef": {"name": "settings"}}]}))
    sim.apply(ns, deployment("tolerant", replicas=1, container={"envFrom": [
        {"configMapRef": {"name": "settings", "optional": True}}]}))
    pod = sim.wait("CreateContainerConfigError", lambda: _pod(sim, ns, "worker-") if _waiting(
        _pod(sim, ns, "worker-")).get("reason") == "CreateContainerConfigError" else None, 60)
    assert _waiting(pod)["message"] == 'configmap "settings" not found'
    assert sim.wait("the optional reference not to matter", lambda: _running(sim, ns, "tolerant-"), 60)
