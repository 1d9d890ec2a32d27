"""The node side of a kubelet: pod IP allocation from the node's podCIDR, the images it holds, the node
status it posts (conditions from `sim.kubegenie.io/condition`, addresses, capacity, nodeInfo, kubelet
labels) and its heartbeat Lease in kube-node-lease. A node declared `Ready=Unknown` has a dead kubelet:
it posts nothing, so the node lifecycle controller notices it stopped.
"""

from __future__ import annotations

import hashlib
import ipaddress
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from kubegenie.domain.durations import rfc3339_micro
from kubegenie.sandbox.sim.annotations import node_conditions
from kubegenie.sandbox.sim.controller import Controller
from kubegenie.sandbox.sim.kube import Key, set_condition
from kubegenie.sandbox.store import Change, Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.sim import Simulation

LEASE_NAMESPACE = "kube-node-lease"
LEASE_DURATION = 40
LEASE_RENEW_SECONDS = 10.0
STATUS_REPORT_SECONDS = 300.0
MIN_REAL_HEARTBEAT = 1.0
"""Heartbeats never come more often than once a real second, so a sped-up clock stays cheap."""
DEFAULT_CAPACITY = {"cpu": "4", "ephemeral-storage": "102350Mi", "hugepages-1Gi": "0", "hugepages-2Mi": "0",
                    "memory": "16374688Ki", "pods": "110"}

HEALTHY = {
    "MemoryPressure": ("False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
    "DiskPressure": ("False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
    "PIDPressure": ("False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
    "Ready": ("True", "KubeletReady", "kubelet is posting ready status"),
    "NetworkUnavailable": ("False", "RouteCreated", "RouteController created a route"),
}
UNHEALTHY = {
    "MemoryPressure": ("True", "KubeletHasInsufficientMemory", "kubelet has insufficient memory available"),
    "DiskPressure": ("True", "KubeletHasDiskPressure", "kubelet has disk pressure"),
    "PIDPressure": ("True", "KubeletHasInsufficientPID", "kubelet has insufficient PID available"),
    "Ready": ("False", "KubeletNotReady", "container runtime network not ready: NetworkReady=false "
              "reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized"),
    "NetworkUnavailable": ("True", "NoRouteCreated", "Node created without a route"),
}
# The Node event the kubelet records when a condition takes each value ("Node x status is now: ...").
STATUS_EVENTS = {
    ("MemoryPressure", "False"): "NodeHasSufficientMemory", ("MemoryPressure", "True"): "NodeHasInsufficientMemory",
    ("DiskPressure", "False"): "NodeHasNoDiskPressure", ("DiskPressure", "True"): "NodeHasDiskPressure",
    ("PIDPressure", "False"): "NodeHasSufficientPID", ("PIDPressure", "True"): "NodeHasInsufficientPID",
    ("Ready", "True"): "NodeReady", ("Ready", "False"): "NodeNotReady",
}
CONDITION_ORDER = ("NetworkUnavailable", "MemoryPressure", "DiskPressure", "PIDPressure", "Ready")


@dataclass
class NodeAgent:
    """One node's kubelet state."""

    name: str
    uid: str
    host_ip: str
    cidr: ipaddress.IPv4Network | None = None
    used_ips: set[str] = field(default_factory=set)
    images: set[str] = field(default_factory=set)
    pull_free_at: float = 0.0
    pulling: dict[str, float] = field(default_factory=dict)
    """Image -> when its pull in progress finishes."""
    declared: dict[str, str] = field(default_factory=dict)
    registered: bool = False
    last_report: float = 0.0

    @property
    def alive(self) -> bool:
        """False when the node is declared Ready=Unknown: its kubelet posts nothing."""
        return self.declared.get("Ready") != "Unknown"

    def allocate_ip(self, preferred: str | None = None) -> str | None:
        """A free pod IP; `preferred` (the IP a loaded pod already reports) when it is free and in the CIDR."""
        if self.cidr is None:
            return None
        if preferred and preferred not in self.used_ips and ipaddress.ip_address(preferred) in self.cidr:
            self.used_ips.add(preferred)
            return preferred
        for offset in range(2, self.cidr.num_addresses - 1):
            candidate = str(self.cidr.network_address + offset)
            if candidate not in self.used_ips:
                self.used_ips.add(candidate)
                return candidate
        return None

    def release_ip(self, ip: str | None) -> None:
        if ip is not None:
            self.used_ips.discard(ip)

    def desired_conditions(self, current: list[Obj], now: str) -> list[Obj]:
        """The conditions this kubelet posts: healthy unless declared otherwise."""
        conditions = [dict(c) for c in current]
        types = ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]
        if "NetworkUnavailable" in self.declared or any(c.get("type") == "NetworkUnavailable" for c in current):
            types.insert(0, "NetworkUnavailable")
        for kind in types:
            healthy = HEALTHY[kind]
            value = self.declared.get(kind, healthy[0])
            state, reason, message = healthy if value == healthy[0] else UNHEALTHY[kind]
            conditions = set_condition(conditions, kind, state, reason, message, now,
                                       {"lastHeartbeatTime": now})
        conditions.sort(key=lambda c: CONDITION_ORDER.index(c["type"]) if c["type"] in CONDITION_ORDER else 9)
        return conditions


def host_ip_for(node: Obj, index: int) -> str:
    for address in (node.get("status") or {}).get("addresses") or []:
        if address.get("type") == "InternalIP" and address.get("address"):
            return str(address["address"])
    return f"172.18.{index // 250}.{index % 250 + 2}"


def registration_status(node: Obj, host_ip: str, version: str) -> Obj:
    """The node status a kubelet fills in when it registers (kept where the node already says something)."""
    status = dict(node.get("status") or {})
    name = node["metadata"]["name"]
    capacity = dict(status.get("capacity") or DEFAULT_CAPACITY)
    status["capacity"] = capacity
    status.setdefault("allocatable", dict(capacity))
    if not status.get("addresses"):
        status["addresses"] = [{"address": host_ip, "type": "InternalIP"}, {"address": name, "type": "Hostname"}]
    status.setdefault("daemonEndpoints", {"kubeletEndpoint": {"Port": 10250}})
    labels = node["metadata"].get("labels") or {}
    seed = f"{name}/{node['metadata'].get('uid', '')}"
    ids = [str(uuid.UUID(bytes=hashlib.sha256(f"{seed}/{part}".encode()).digest()[:16]))
           for part in ("boot", "machine", "system")]
    info = {"architecture": labels.get("kubernetes.io/arch", "amd64"), "bootID": ids[0],
            "containerRuntimeVersion": "containerd://1.7.18", "kernelVersion": "6.1.0-25-cloud-amd64",
            "kubeProxyVersion": version, "kubeletVersion": version, "machineID": ids[1].replace("-", ""),
            "operatingSystem": labels.get("kubernetes.io/os", "linux"), "osImage": "Debian GNU/Linux 12 (bookworm)",
            "systemUUID": ids[2]}
    status["nodeInfo"] = {**info, **(status.get("nodeInfo") or {})}
    return status


def kubelet_labels(node: Obj) -> dict[str, str]:
    """The well-known labels a kubelet sets on its Node at registration."""
    labels = dict(node["metadata"].get("labels") or {})
    name = node["metadata"]["name"]
    arch = labels.get("kubernetes.io/arch", "amd64")
    system = labels.get("kubernetes.io/os", "linux")
    for key, value in (("beta.kubernetes.io/arch", arch), ("beta.kubernetes.io/os", system),
                       ("kubernetes.io/arch", arch), ("kubernetes.io/hostname", name), ("kubernetes.io/os", system)):
        labels.setdefault(key, value)
    return labels


def lease_body(node: Obj, now: float) -> Obj:
    meta = node["metadata"]
    return {"apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
            "metadata": {"name": meta["name"], "namespace": LEASE_NAMESPACE,
                         "ownerReferences": [{"apiVersion": "v1", "kind": "Node", "name": meta["name"],
                                              "uid": meta["uid"]}]},
            "spec": {"holderIdentity": meta["name"], "leaseDurationSeconds": LEASE_DURATION,
                     "renewTime": rfc3339_micro(datetime.fromtimestamp(now, UTC))}}


class KubeletNodes(Controller):
    """The node half of every simulated kubelet: registration, condition reports and Lease heartbeats."""

    name = "kubelet"
    manager = "kubelet"
    primary = "nodes"
    watches = ("nodes",)

    def __init__(self, sim: Simulation, on_node_changed: Callable[[str], None]) -> None:
        super().__init__(sim)
        self.agents: dict[str, NodeAgent] = {}
        self._on_node_changed = on_node_changed
        self._next_index = 0
        self._heartbeat_armed = False

    # --- heartbeat cadence ---------------------------------------------------------------------------------

    def lease_interval(self) -> float:
        """Simulated seconds between Lease renewals: 10 s, but never more often than once a real second."""
        return max(LEASE_RENEW_SECONDS, self.clock.speed * MIN_REAL_HEARTBEAT)

    def report_interval(self) -> float:
        return max(STATUS_REPORT_SECONDS, self.clock.speed * MIN_REAL_HEARTBEAT)

    def start(self) -> None:
        super().start()
        self._arm_heartbeat()

    def _arm_heartbeat(self) -> None:
        if not self._heartbeat_armed:
            self._heartbeat_armed = True
            self.sim.timers.after(self.lease_interval(), self._heartbeat)

    def _heartbeat(self) -> None:
        self._heartbeat_armed = False
        now = self.now()
        for agent in list(self.agents.values()):
            if not agent.alive or not agent.registered:
                continue
            node = self.store.get("nodes", "", agent.name)
            if node is None:
                continue
            self._renew_lease(node, now)
            if now - agent.last_report >= self.report_interval():
                self._post_status(node, agent, now, events=False)
        self._arm_heartbeat()

    # --- reconcile -----------------------------------------------------------------------------------------

    def on_change(self, change: Change) -> None:
        meta = change.obj["metadata"]
        if change.type == "DELETED":
            self.agents.pop(meta["name"], None)
            return
        old = change.old
        if old is None or old.get("spec") != change.obj.get("spec") \
                or old["metadata"].get("annotations") != meta.get("annotations"):
            self.enqueue(("", meta["name"]))

    def reconcile(self, key: Key) -> None:
        node = self.get(key)
        if node is None:
            return
        name = node["metadata"]["name"]
        agent = self.agents.get(name)
        if agent is None:
            agent = NodeAgent(name, node["metadata"]["uid"], host_ip_for(node, self._next_index))
            self._next_index += 1
            self.agents[name] = agent
        was_alive = agent.alive
        cidr = (node.get("spec") or {}).get("podCIDR")
        agent.declared = node_conditions(node)
        cidr_changed = False
        if cidr and (agent.cidr is None or str(agent.cidr) != cidr):
            agent.cidr = ipaddress.IPv4Network(cidr, strict=False)
            cidr_changed = True
        if not agent.alive:
            return
        now = self.now()
        if not agent.registered:
            self._register(node, agent, now)
        else:
            self._post_status(node, agent, now, events=True)
        if cidr_changed or not was_alive:
            self._on_node_changed(name)

    def _register(self, node: Obj, agent: NodeAgent, now: float) -> None:
        labels = kubelet_labels(node)
        if labels != (node["metadata"].get("labels") or {}):
            node = self.writer.update("nodes", {**node, "metadata": {**node["metadata"], "labels": labels}})
        version = self.cluster.version.git_version
        status = registration_status(node, agent.host_ip, version)
        node = {**node, "status": status}
        agent.registered = True
        ref = _node_ref(node)
        self.sim.recorder.event(ref, "Normal", "Starting", "Starting kubelet.", "kubelet", agent.name)
        self._post_status(node, agent, now, events=True, force=True)
        self.sim.recorder.event(ref, "Normal", "NodeAllocatableEnforced", "Updated Node Allocatable limit across "
                                "pods", "kubelet", agent.name)
        self._renew_lease(node, now)

    def _post_status(self, node: Obj, agent: NodeAgent, now: float, events: bool, force: bool = False) -> None:
        status = dict(node.get("status") or {})
        current = status.get("conditions") or []
        conditions = agent.desired_conditions(current, self.stamp(now))
        before = {c.get("type"): c.get("status") for c in current}
        status["conditions"] = conditions
        agent.last_report = now
        self.writer.update_status("nodes", {**node, "status": status})
        if not events:
            return
        for cond in conditions:
            reason = STATUS_EVENTS.get((cond["type"], cond["status"]))
            if reason and (force or before.get(cond["type"]) != cond["status"]):
                self.sim.recorder.event(_node_ref(node), "Normal", reason,
                                        f"Node {agent.name} status is now: {reason}", "kubelet", agent.name)

    def _renew_lease(self, node: Obj, now: float) -> None:
        name = node["metadata"]["name"]
        lease = self.store.get("coordination.k8s.io/leases", LEASE_NAMESPACE, name)
        body = lease_body(node, now)
        if lease is None:
            self.writer.create("coordination.k8s.io/leases", LEASE_NAMESPACE, body)
        else:
            self.writer.update("coordination.k8s.io/leases", {**lease, "spec": {**(lease.get("spec") or {}),
                                                                              **body["spec"]}})


def _node_ref(node: Obj) -> Obj:
    """The kubelet names its Node in events with the node name as uid."""
    return {**node, "metadata": {**node["metadata"], "uid": node["metadata"]["name"]}}
