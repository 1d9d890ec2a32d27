"""Service endpoints from selectors and readiness: the Endpoints controller (ready pods in `addresses`,
not-ready ones in `notReadyAddresses`, named target ports resolved per pod) and the EndpointSlice
controller (one slice per Service with ready/serving/terminating conditions). Services without a selector
are left to whoever manages their endpoints.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from kubegenie.sandbox.selectors import selector_from_match
from kubegenie.sandbox.sim.controller import Controller
from kubegenie.sandbox.sim.kube import Key, key_of, owner_ref, pod_ready, pod_terminal
from kubegenie.sandbox.store import Change, Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.sim import Simulation

MANAGED_BY = "endpointslice-controller.k8s.io"
SERVICE_NAME = "kubernetes.io/service-name"
TRIGGER = "endpoints.kubernetes.io/last-change-trigger-time"


@dataclass(frozen=True)
class Backend:
    pod: Obj
    ip: str
    ready: bool
    terminating: bool
    ports: tuple[tuple[str, int, str], ...]


def _target_port(port: Obj, pod: Obj) -> int | None:
    target = port.get("targetPort", port.get("port"))
    if isinstance(target, int):
        return target
    if isinstance(target, str) and target.isdigit():
        return int(target)
    for container in (pod.get("spec") or {}).get("containers") or []:
        for declared in container.get("ports") or []:
            if declared.get("name") == target and declared.get("protocol", "TCP") == port.get("protocol", "TCP"):
                return int(declared["containerPort"])
    return None


def backends(service: Obj, pods: Iterable[Obj], include_terminating: bool) -> list[Backend]:
    spec = service.get("spec") or {}
    selector = selector_from_match(spec.get("selector"))
    publish = bool(spec.get("publishNotReadyAddresses"))
    found = []
    for pod in pods:
        ip = (pod.get("status") or {}).get("podIP")
        if not ip or pod_terminal(pod) or not selector.matches(pod["metadata"].get("labels")):
            continue
        terminating = bool(pod["metadata"].get("deletionTimestamp"))
        if terminating and not include_terminating:
            continue
        ports = []
        for port in spec.get("ports") or []:
            number = _target_port(port, pod)
            if number is not None:
                ports.append((str(port.get("name") or ""), number, str(port.get("protocol") or "TCP")))
        ready = (pod_ready(pod) or publish) and not terminating
        found.append(Backend(pod, str(ip), ready, terminating, tuple(ports)))
    return sorted(found, key=lambda b: tuple(int(part) for part in b.ip.split(".") if part.isdigit()))


def _address(backend: Backend) -> Obj:
    meta = backend.pod["metadata"]
    address: Obj = {"ip": backend.ip}
    node = (backend.pod.get("spec") or {}).get("nodeName")
    if node:
        address["nodeName"] = node
    address["targetRef"] = {"kind": "Pod", "name": meta["name"], "namespace": meta["namespace"], "uid": meta["uid"]}
    return address


class _ServiceController(Controller):
    primary = "services"
    watches: ClassVar[tuple[str, ...]] = ("services", "pods")

    def on_change(self, change: Change) -> None:
        if change.key == "services":
            self.enqueue(key_of(change.obj))
            return
        pod, old = change.obj, change.old
        if change.type == "MODIFIED" and old is not None and _same_endpoint(old, pod):
            return
        namespace = pod["metadata"]["namespace"]
        labels = [(o["metadata"].get("labels") or {}) for o in (pod, old) if o is not None]
        for service in self.store.iter("services", namespace):
            selector = (service.get("spec") or {}).get("selector")
            if selector and any(selector_from_match(selector).matches(lab) for lab in labels):
                self.enqueue(key_of(service))

    def _selected(self, key: Key) -> tuple[Obj | None, list[Obj]]:
        service = self.get(key)
        if service is None or not (service.get("spec") or {}).get("selector") \
                or (service.get("spec") or {}).get("type") == "ExternalName":
            return service, []
        return service, self.sim.pods.selected(key[0], selector_from_match((service.get("spec") or {})["selector"]))


def _same_endpoint(old: Obj, new: Obj) -> bool:
    """Pod changes that cannot change any endpoint (most kubelet status writes)."""
    return old["metadata"].get("labels") == new["metadata"].get("labels") \
        and old["metadata"].get("deletionTimestamp") == new["metadata"].get("deletionTimestamp") \
        and (old.get("status") or {}).get("podIP") == (new.get("status") or {}).get("podIP") \
        and pod_ready(old) == pod_ready(new) and pod_terminal(old) == pod_terminal(new) \
        and (old.get("spec") or {}).get("nodeName") == (new.get("spec") or {}).get("nodeName")


class EndpointsController(_ServiceController):
    name = "endpoint-controller"

    def reconcile(self, key: Key) -> None:
        service, pods = self._selected(key)
        current = self.store.get("endpoints", *key)
        if service is None:
            if current is not None:
                self.writer.delete("endpoints", current)
            return
        if not (service.get("spec") or {}).get("selector"):
            return
        groups: dict[tuple[tuple[str, int, str], ...], Obj] = {}
        for backend in backends(service, pods, include_terminating=False):
            if not backend.ports:
                continue
            subset = groups.setdefault(backend.ports, {})
            subset.setdefault("addresses" if backend.ready else "notReadyAddresses", []).append(_address(backend))
        subsets = []
        for ports, subset in groups.items():
            subset["ports"] = [{"name": name, "port": port, "protocol": protocol} if name else
                               {"port": port, "protocol": protocol} for name, port, protocol in ports]
            subsets.append({key: subset[key] for key in ("addresses", "notReadyAddresses", "ports") if key in subset})
        labels = dict(service["metadata"].get("labels") or {})
        body: Obj = {"apiVersion": "v1", "kind": "Endpoints",
                     "metadata": {"name": key[1], "namespace": key[0]}}
        if labels:
            body["metadata"]["labels"] = labels
        if subsets:
            body["subsets"] = subsets
        if current is None:
            body["metadata"]["annotations"] = {TRIGGER: self.stamp()}
            self.writer.create("endpoints", key[0], body)
            return
        if current.get("subsets") == body.get("subsets") and (current["metadata"].get("labels") or {}) == labels:
            return
        annotations = {**(current["metadata"].get("annotations") or {}), TRIGGER: self.stamp()}
        meta = {**current["metadata"], "labels": labels, "annotations": annotations}
        updated = {**current, "metadata": meta}
        updated.pop("subsets", None)
        if subsets:
            updated["subsets"] = subsets
        self.writer.update("endpoints", updated)


class EndpointSliceController(_ServiceController):
    name = "endpoint-slice-controller"
    watches = ("services", "pods", "nodes")

    def __init__(self, sim: Simulation) -> None:
        super().__init__(sim)
        self._zones: dict[str, str] = {}
        """Node name -> its topology.kubernetes.io/zone label."""

    def start(self) -> None:
        for node in self.store.iter("nodes"):
            self._remember_zone(node, deleted=False)
        super().start()

    def on_change(self, change: Change) -> None:
        if change.key == "nodes":
            self._remember_zone(change.obj, deleted=change.type == "DELETED")
            return
        super().on_change(change)

    def _remember_zone(self, node: Obj, deleted: bool) -> None:
        name = node["metadata"]["name"]
        zone = (node["metadata"].get("labels") or {}).get("topology.kubernetes.io/zone")
        if zone and not deleted:
            self._zones[name] = zone
        else:
            self._zones.pop(name, None)

    def reconcile(self, key: Key) -> None:
        service, pods = self._selected(key)
        slices = [s for s in self.store.iter("discovery.k8s.io/endpointslices", key[0])
                  if (s["metadata"].get("labels") or {}).get(SERVICE_NAME) == key[1]
                  and (s["metadata"].get("labels") or {}).get("endpointslice.kubernetes.io/managed-by") == MANAGED_BY]
        if service is None or not (service.get("spec") or {}).get("selector"):
            for stale in slices:
                self.writer.delete("discovery.k8s.io/endpointslices", stale)
            return
        found = backends(service, pods, include_terminating=True)
        zones = self._zones
        endpoints = []
        for backend in found:
            entry: Obj = {"addresses": [backend.ip],
                          "conditions": {"ready": backend.ready, "serving": pod_ready(backend.pod),
                                         "terminating": backend.terminating}}
            address = _address(backend)
            if "nodeName" in address:
                entry["nodeName"] = address["nodeName"]
            entry["targetRef"] = address["targetRef"]
            zone = zones.get(address.get("nodeName", ""))
            if zone:
                entry["zone"] = zone
            endpoints.append(entry)
        ports = [{"name": name, "port": port, "protocol": protocol}
                 for name, port, protocol in (found[0].ports if found else ())]
        labels = {**(service["metadata"].get("labels") or {}), SERVICE_NAME: key[1],
                  "endpointslice.kubernetes.io/managed-by": MANAGED_BY}
        if not found:
            ports = []
        body_spec: Obj = {"addressType": "IPv4", "endpoints": endpoints, "ports": ports or None}
        if not slices:
            body: Obj = {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                         "metadata": {"generateName": f"{key[1]}-", "labels": labels,
                                      "annotations": {TRIGGER: self.stamp()}, "ownerReferences": [owner_ref(service)]},
                         **{k: v for k, v in body_spec.items() if v is not None}}
            self.writer.create("discovery.k8s.io/endpointslices", key[0], body)
            return
        current, *extra = slices
        for stale in extra:
            self.writer.delete("discovery.k8s.io/endpointslices", stale)
        wanted = {k: v for k, v in body_spec.items() if v is not None}
        if all(current.get(k) == v for k, v in wanted.items()) and ("ports" in wanted or "ports" not in current) \
                and (current["metadata"].get("labels") or {}) == labels:
            return
        updated = {k: v for k, v in current.items() if k not in ("endpoints", "ports")}
        updated.update(wanted)
        updated["metadata"] = {**current["metadata"], "labels": labels,
                               "annotations": {**(current["metadata"].get("annotations") or {}), TRIGGER: self.stamp()}}
        self.writer.update("discovery.k8s.io/endpointslices", updated)
