"""Serve sandbox clusters pre-loaded with many realistic objects, for benchmarks.

    python -m bench.loaded_sandbox --nodes 500 --pods 10000 [--clusters K] --kubeconfig PATH

Prints `READY <kubeconfig>` once every cluster serves, then serves until stdin closes.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from kubegenie.sandbox.cluster import Cluster
from kubegenie.sandbox.kubeconfig import merge_into
from kubegenie.sandbox.objects import WriteOptions
from kubegenie.sandbox.runtime import RunningSandbox, SandboxConfig, settle_memory

OPTIONS = WriteOptions(field_manager="bench", field_validation="Ignore")
KUBELET = WriteOptions(field_manager="kubelet", field_validation="Ignore")  # status as a kubelet writes it
STARTED = "2026-11-20T10:00:00Z"


def _rtype(cluster: Cluster, group: str, version: str, plural: str):  # type: ignore[no-untyped-def]
    rtype = cluster.registry.lookup(group, version, plural)
    assert rtype is not None
    return rtype


async def populate(cluster: Cluster, nodes: int, pods: int, namespaces: int = 20) -> None:
    """Nodes with capacity and conditions; pods spread over namespaces and nodes, their Running status written
    by the `kubelet` field manager as a kubelet writes it (a second managedFields entry, as on real pods)."""
    objects = cluster.objects
    node_type = _rtype(cluster, "", "v1", "nodes")
    ns_type = _rtype(cluster, "", "v1", "namespaces")
    pod_type = _rtype(cluster, "", "v1", "pods")
    for index in range(nodes):
        name = f"node-{index:04d}"
        objects.create(node_type, "", {"metadata": {"name": name, "labels": {
            "kubernetes.io/hostname": name, "node.kubernetes.io/instance-type": "m5.xlarge",
            "topology.kubernetes.io/zone": f"eu-west-1{'abc'[index % 3]}"}},
            "status": {"capacity": {"cpu": "4", "memory": "16Gi", "pods": "110"},
                       "allocatable": {"cpu": "3920m", "memory": "15Gi", "pods": "110"},
                       "conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                       "message": "kubelet is posting ready status"}],
                       "nodeInfo": {"kubeletVersion": "v1.31.4", "osImage": "Ubuntu 22.04.4 LTS",
                                    "containerRuntimeVersion": "containerd://1.7.13"}}}, OPTIONS)
    for index in range(namespaces):
        objects.create(ns_type, "", {"metadata": {"name": f"team-{index:02d}"}}, OPTIONS)
    await cluster.settle()  # each namespace gets its default ServiceAccount, which pods are admitted against
    for index in range(pods):
        namespace = f"team-{index % namespaces:02d}"
        app = f"app-{(index // namespaces) % 50:02d}"
        name = f"{app}-{index:05d}"
        created = objects.create(pod_type, namespace, {
            "metadata": {"name": name, "labels": {"app": app, "tier": "web" if index % 3 else "worker"}},
            "spec": {"nodeName": f"node-{index % nodes:04d}", "containers": [
                {"name": "app", "image": f"registry.example.com/{app}:1.4.2",
                 "ports": [{"containerPort": 8080}],
                 "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
                 "env": [{"name": "LOG_LEVEL", "value": "info"}]}]}}, OPTIONS)
        pod_ip = f"10.{index // 65536 % 256}.{index // 256 % 256}.{index % 256}"
        running = {"phase": "Running", "podIP": pod_ip, "podIPs": [{"ip": pod_ip}],
                   "hostIP": "192.168.0.1", "hostIPs": [{"ip": "192.168.0.1"}], "qosClass": "Burstable",
                   "startTime": STARTED,
                   "conditions": [{"type": kind, "status": "True", "lastProbeTime": None,
                                   "lastTransitionTime": STARTED} for kind in
                                  ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady",
                                   "PodScheduled")],
                   "containerStatuses": [{"name": "app", "ready": True, "restartCount": index % 4,
                                          "image": f"registry.example.com/{app}:1.4.2", "started": True,
                                          "imageID": "registry.example.com/app@sha256:" + "0" * 64,
                                          "containerID": f"containerd://{index:064x}",
                                          "lastState": {},
                                          "state": {"running": {"startedAt": STARTED}}}]}
        unchecked = {**created["metadata"], "resourceVersion": None}
        objects.update(pod_type, namespace, name, {**created, "metadata": unchecked, "status": running}, KUBELET,
                       subresource="status")


async def serve(args: argparse.Namespace) -> None:
    sandboxes = []
    kubeconfig = Path(args.kubeconfig)
    for index in range(args.clusters):
        name = "bench" if args.clusters == 1 else f"bench-{index:02d}"
        sandbox = RunningSandbox(SandboxConfig(name=name, kubeconfig=None))
        await sandbox.start()
        await populate(sandbox.clusters[0], args.nodes, args.pods)
        await sandbox.clusters[0].settle()
        settle_memory()
        sandboxes.append(sandbox)
    merge_into(kubeconfig, [entry for s in sandboxes for entry in s.context_entries()])
    print(f"READY {kubeconfig}", flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    for sandbox in sandboxes:
        await sandbox.stop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--nodes", type=int, default=500)
    parser.add_argument("--pods", type=int, default=10_000)
    parser.add_argument("--clusters", type=int, default=1)
    parser.add_argument("--kubeconfig", required=True)
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    main()
