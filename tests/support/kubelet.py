"""Playing scheduler and kubelet in tests: Node objects with capacity and a Ready condition, and pods bound to
them that run, become Ready, restart or finish, written through the sandbox's object API on its own loop."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from kubegenie.domain.durations import rfc3339
from kubegenie.sandbox import bootstrap
from kubegenie.sandbox.objects import deep_copy
from kubegenie.sandbox.store import Obj
from tests.support.sandbox import SandboxEnv

T = TypeVar("T")


def on_loop(env: SandboxEnv, func: Callable[[], T]) -> T:
    """Run `func` on the sandbox's event loop (the store is single-threaded) and return its result."""

    async def run() -> T:
        result = func()
        await env.cluster.settle()
        return result

    return env.thread.call(run)


def _now(env: SandboxEnv) -> str:
    return rfc3339(env.cluster.clock.now())


def add_node(env: SandboxEnv, name: str, cpu: str = "4", memory: str = "16Gi", ready: bool = True,
             labels: dict[str, str] | None = None) -> Obj:
    def create() -> Obj:
        cluster = env.cluster
        rtype = cluster.registry.lookup("", "v1", "nodes")
        assert rtype is not None
        node = deep_copy(bootstrap.create(cluster, "v1", "nodes", "", {"metadata": {
            "name": name, "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux", **(labels or {})}}}))
        now = _now(env)
        capacity = {"cpu": cpu, "memory": memory, "pods": "110", "ephemeral-storage": "100Gi"}
        node["status"] = {
            "capacity": capacity, "allocatable": dict(capacity),
            "conditions": [{"type": "Ready", "status": "True" if ready else "False",
                            "reason": "KubeletReady" if ready else "KubeletNotReady",
                            "message": "kubelet is posting ready status", "lastHeartbeatTime": now,
                            "lastTransitionTime": now}],
            "addresses": [{"type": "InternalIP", "address": f"172.18.0.{len(name) + 10}"},
                          {"type": "Hostname", "address": name}],
            "nodeInfo": {"kubeletVersion": "v1.31.4", "containerRuntimeVersion": "containerd://1.7.18",
                         "osImage": "Debian GNU/Linux 12 (bookworm)", "kernelVersion": "6.1.0",
                         "operatingSystem": "linux", "architecture": "amd64", "kubeProxyVersion": "v1.31.4",
                         "machineID": "", "systemUUID": "", "bootID": ""},
        }
        return cluster.objects.update_status(rtype, node)

    return on_loop(env, create)


def _container_id(*parts: str) -> str:
    return "containerd://" + hashlib.sha256("/".join(parts).encode()).hexdigest()


def container_state(name: str, image: str, uid: str, now: str, restarts: int = 0, running: bool = True,
                    ready: bool = True, exit_code: int | None = None, last_exit_code: int | None = None) -> Obj:
    """A containerStatuses entry: running (or terminated with `exit_code`), with an optional last run."""
    state: Obj
    if exit_code is not None:
        state = {"terminated": {"exitCode": exit_code, "reason": "Completed" if exit_code == 0 else "Error",
                                "startedAt": now, "finishedAt": now,
                                "containerID": _container_id(uid, name, str(restarts))}}
    elif running:
        state = {"running": {"startedAt": now}}
    else:
        state = {"waiting": {"reason": "ContainerCreating"}}
    entry: Obj = {"name": name, "state": state, "lastState": {}, "ready": ready and running and exit_code is None,
                  "restartCount": restarts, "image": image, "imageID": f"docker.io/library/{image}@sha256:" + "0" * 64,
                  "started": running and exit_code is None}
    if running or exit_code is not None:
        entry["containerID"] = _container_id(uid, name, str(restarts))
    if last_exit_code is not None:
        entry["lastState"] = {"terminated": {"exitCode": last_exit_code,
                                             "reason": "Completed" if last_exit_code == 0 else "Error",
                                             "startedAt": now, "finishedAt": now,
                                             "containerID": _container_id(uid, name, str(restarts - 1))}}
    return entry


def run_pod(env: SandboxEnv, namespace: str, name: str, node: str | None = "node-1",
            containers: list[Obj] | None = None, labels: dict[str, str] | None = None,
            annotations: dict[str, str] | None = None, owner: Obj | None = None, ready: bool = True,
            phase: str = "Running", restarts: int = 0, last_exit_code: int | None = None,
            exit_code: int | None = None) -> Obj:
    """Create a pod bound to `node` and give it the status a kubelet would report."""
    specs = containers or [{"name": "app", "image": "nginx:1.27"}]

    def create() -> Obj:
        cluster = env.cluster
        rtype = cluster.registry.lookup("", "v1", "pods")
        assert rtype is not None
        meta: Obj = {"name": name, "labels": labels or {}, "annotations": annotations or {}}
        if owner is not None:
            meta["ownerReferences"] = [{"apiVersion": owner["apiVersion"], "kind": owner["kind"],
                                        "name": owner["metadata"]["name"], "uid": owner["metadata"]["uid"],
                                        "controller": True, "blockOwnerDeletion": True}]
        spec: Obj = {"containers": specs}
        if node is not None:
            spec["nodeName"] = node
        # Objects the store hands out are its own; a kubelet writes a changed copy.
        pod = deep_copy(bootstrap.create(cluster, "v1", "pods", namespace, {"metadata": meta, "spec": spec}))
        if node is None:
            return pod
        now = _now(env)
        uid = pod["metadata"]["uid"]
        running = phase == "Running"
        statuses = [container_state(c["name"], c.get("image", ""), uid, now, restarts, running=running,
                                    ready=ready, exit_code=exit_code, last_exit_code=last_exit_code)
                    for c in specs]
        all_ready = running and ready and exit_code is None
        conditions = [{"type": kind, "status": "True" if value else "False", "lastProbeTime": None,
                       "lastTransitionTime": now}
                      for kind, value in (("Initialized", True), ("Ready", all_ready),
                                          ("ContainersReady", all_ready), ("PodScheduled", True))]
        pod["status"] = {"phase": phase, "conditions": conditions, "hostIP": "172.18.0.2",
                         "podIP": f"10.244.0.{sum(name.encode()) % 250 + 2}", "startTime": now,
                         "containerStatuses": statuses, "qosClass": pod.get("status", {}).get("qosClass",
                                                                                              "BestEffort")}
        return cluster.objects.update_status(rtype, pod)

    return on_loop(env, create)


def set_pod_status(env: SandboxEnv, namespace: str, name: str, change: Callable[[Obj], Any]) -> Obj:
    """Edit a pod's status the way its kubelet would: `change` mutates a copy of the pod."""

    def update() -> Obj:
        cluster = env.cluster
        rtype = cluster.registry.lookup("", "v1", "pods")
        assert rtype is not None
        pod = deep_copy(cluster.objects.get(rtype, namespace, name))
        change(pod)
        return cluster.objects.update_status(rtype, pod)

    return on_loop(env, update)


def write_log(env: SandboxEnv, namespace: str, name: str, container: str, text: str) -> None:
    """A running container writes `text` to its log (followers see it at once)."""

    def append() -> None:
        from kubegenie.sandbox.logsource import MemoryLogSource

        pod = env.cluster.store.get("pods", namespace, name)
        assert pod is not None
        source = env.cluster.logs
        assert isinstance(source, MemoryLogSource)
        source.write(pod, container, text)

    on_loop(env, append)


def create(env: SandboxEnv, api_version: str, plural: str, namespace: str, body: Obj) -> Obj:
    """Create any object as the control plane would (no RBAC, no field validation)."""
    return on_loop(env, lambda: bootstrap.create(env.cluster, api_version, plural, namespace, body))
