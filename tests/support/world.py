"""Small, deterministic cluster contents for agent tests on a passive sandbox: objects are created through
the sandbox's object API and given the status a real cluster's controllers and kubelets would report."""

from __future__ import annotations

from typing import Any

from kubegenie.sandbox.objects import WriteOptions
from tests.support.sandbox import SandboxEnv

Obj = dict[str, Any]
_OPTIONS = WriteOptions(field_manager="test", field_validation="Ignore")


def put(sandbox: SandboxEnv, api_version: str, plural: str, namespace: str, body: Obj,
        status: Obj | None = None) -> Obj:
    """Create an object (and set its status) on the sandbox's loop."""
    group, _, version = api_version.rpartition("/")
    if status is None and "status" in body:
        status = body["status"]
        body = {key: value for key, value in body.items() if key != "status"}

    async def create() -> Obj:
        cluster = sandbox.cluster
        rtype = cluster.registry.lookup(group, version, plural)
        assert rtype is not None, f"no {plural} in {api_version}"
        created = cluster.objects.create(rtype, namespace, body, _OPTIONS)
        if status is not None:
            created = cluster.objects.update_status(rtype, {**created, "status": status})
        await cluster.settle()
        return created

    return sandbox.thread.call(create)


def running_pod_status(containers: list[str], restarts: int = 0, ready: bool = True, node: str = "") -> Obj:
    return {"phase": "Running", "podIP": "10.0.0.7", "hostIP": "192.168.0.2", "qosClass": "Burstable",
            "conditions": [{"type": "Ready", "status": "True" if ready else "False"},
                           {"type": "PodScheduled", "status": "True"}],
            "containerStatuses": [{"name": name, "ready": ready, "restartCount": restarts, "image": "img",
                                   "imageID": "", "started": True,
                                   "state": {"running": {"startedAt": "2026-11-27T10:00:00Z"}}}
                                  for name in containers]}


def crashloop_status(container: str, restarts: int, exit_code: int = 1) -> Obj:
    return {"phase": "Running", "qosClass": "Burstable",
            "conditions": [{"type": "Ready", "status": "False"}, {"type": "PodScheduled", "status": "True"}],
            "containerStatuses": [{
                "name": container, "ready": False, "restartCount": restarts, "image": "img", "imageID": "",
                "started": False,
                "state": {"waiting": {"reason": "CrashLoopBackOff",
                                      "message": f"back-off 5m0s restarting failed container={container}"}},
                "lastState": {"terminated": {"reason": "Error", "exitCode": exit_code,
                                             "startedAt": "2026-11-27T10:00:00Z",
                                             "finishedAt": "2026-11-27T10:00:05Z"}}}]}


def pending_status(message: str) -> Obj:
    return {"phase": "Pending", "qosClass": "Burstable",
            "conditions": [{"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                            "message": message}]}


def pod(name: str, labels: Obj, containers: list[Obj], node: str | None = None) -> Obj:
    spec: Obj = {"containers": containers}
    if node:
        spec["nodeName"] = node
    return {"metadata": {"name": name, "labels": labels}, "spec": spec}


def container(name: str, image: str, cpu: str = "100m", memory: str = "128Mi", env: list[Obj] | None = None) -> Obj:
    body: Obj = {"name": name, "image": image,
                 "resources": {"requests": {"cpu": cpu, "memory": memory}, "limits": {"memory": "256Mi"}}}
    if env:
        body["env"] = env
    return body


def node(name: str, ready: bool = True, cpu: str = "4", memory: str = "16Gi", labels: Obj | None = None) -> Obj:
    return {"metadata": {"name": name, "labels": {"kubernetes.io/hostname": name, **(labels or {})}},
            "status": {"capacity": {"cpu": cpu, "memory": memory, "pods": "110"},
                       "allocatable": {"cpu": cpu, "memory": memory, "pods": "110"},
                       "conditions": [{"type": "Ready", "status": "True" if ready else "Unknown",
                                       "reason": "KubeletReady" if ready else "NodeStatusUnknown",
                                       "message": "kubelet is posting ready status" if ready
                                       else "Kubelet stopped posting node status."}],
                       "nodeInfo": {"kubeletVersion": "v1.31.4"}}}


def event(namespace: str, involved: Obj, reason: str, message: str, kind: str = "Warning", count: int = 1) -> Obj:
    meta = involved["metadata"]
    return {"metadata": {"generateName": f"{meta['name']}."},
            "involvedObject": {"kind": involved["kind"], "name": meta["name"], "namespace": namespace,
                               "uid": meta["uid"], "apiVersion": involved["apiVersion"]},
            "reason": reason, "message": message, "type": kind, "count": count,
            "firstTimestamp": "2026-11-27T10:00:00Z", "lastTimestamp": "2026-11-27T10:05:00Z",
            "source": {"component": "kubelet"}}
