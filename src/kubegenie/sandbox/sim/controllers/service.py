"""The service controller with a built-in load-balancer pool (as MetalLB or a cloud provider would): every
LoadBalancer Service without a loadBalancerClass gets an ingress IP from 172.18.255.200 up, with the
EnsuringLoadBalancer and EnsuredLoadBalancer events; a Service that stops being a LoadBalancer gives it back.
What the cluster's cloud (the scheme of its nodes' providerID) refuses is a SyncLoadBalancerFailed warning,
retried with the controller's back-off (5 s doubling to 5 min): AWS ELBs cannot take a `loadBalancerIP`.
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING

from kubegenie.sandbox.sim.controller import Controller
from kubegenie.sandbox.sim.kube import Key, key_of
from kubegenie.sandbox.store import Change, Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.sim import Simulation

POOL = ipaddress.IPv4Network("172.18.255.0/24")
POOL_START = 200
RETRY = (5.0, 300.0)


class ServiceController(Controller):
    name = "service-controller"
    primary = "services"
    watches = ("services",)

    def __init__(self, sim: Simulation) -> None:
        super().__init__(sim)
        self._sync_failures: dict[Key, int] = {}

    def on_change(self, change: Change) -> None:
        if change.type == "DELETED":
            self._sync_failures.pop(key_of(change.obj), None)
            return
        super().on_change(change)

    def reconcile(self, key: Key) -> None:
        service = self.get(key)
        if service is None:
            return
        spec = service.get("spec") or {}
        status = dict(service.get("status") or {})
        ingress = (status.get("loadBalancer") or {}).get("ingress") or []
        wants = spec.get("type") == "LoadBalancer" and not spec.get("loadBalancerClass") \
            and not service["metadata"].get("deletionTimestamp")
        if wants and not ingress:
            self.event(service, "Normal", "EnsuringLoadBalancer", "Ensuring load balancer")
            refused = self._cloud_refusal(spec)
            address = None if refused else self._free_address(spec.get("loadBalancerIP"))
            if address is None:
                self.event(service, "Warning", "SyncLoadBalancerFailed", "Error syncing load balancer: failed to "
                           f"ensure load balancer: {refused or 'no available IPs in the pool'}")
                self.back_off(self._sync_failures, key, RETRY)
                return
            self._sync_failures.pop(key, None)
            entry = {"ip": address}
            if self.cluster.version.minor >= 30:
                entry["ipMode"] = "VIP"
            status["loadBalancer"] = {"ingress": [entry]}
            self.writer.update_status(self.primary, {**service, "status": status})
            self.event(service, "Normal", "EnsuredLoadBalancer", "Ensured load balancer")
        elif not wants and ingress and spec.get("type") != "LoadBalancer":
            status["loadBalancer"] = {}
            self.writer.update_status(self.primary, {**service, "status": status})
            self.event(service, "Normal", "DeletedLoadBalancer", "Deleted load balancer")

    def _cloud_refusal(self, spec: Obj) -> str | None:
        """What the cluster's cloud provider says no to, in its words."""
        if spec.get("loadBalancerIP") and self._cloud() == "aws":
            return "LoadBalancerIP cannot be specified for AWS ELB"
        return None

    def _cloud(self) -> str | None:
        for node in self.store.iter("nodes"):
            provider_id = str((node.get("spec") or {}).get("providerID") or "")
            if "://" in provider_id:
                return provider_id.split("://", 1)[0]
        return None

    def _free_address(self, requested: str | None) -> str | None:
        used = {entry.get("ip") for service in self.store.iter("services")
                for entry in ((service.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []}
        if requested and requested not in used:
            return requested
        for offset in range(POOL_START, POOL.num_addresses - 1):
            candidate = str(POOL.network_address + offset)
            if candidate not in used:
                return candidate
        return None
