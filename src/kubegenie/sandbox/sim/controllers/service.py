"""The service controller with a built-in load-balancer pool (as MetalLB or a cloud provider would): every
LoadBalancer Service without a loadBalancerClass gets an ingress IP from 172.18.255.200 up, with the
EnsuringLoadBalancer and EnsuredLoadBalancer events; a Service that stops being a LoadBalancer gives it back.
"""

from __future__ import annotations

import ipaddress

from kubegenie.sandbox.sim.controller import Controller
from kubegenie.sandbox.sim.kube import Key
from kubegenie.sandbox.store import Change

POOL = ipaddress.IPv4Network("172.18.255.0/24")
POOL_START = 200


class ServiceController(Controller):
    name = "service-controller"
    primary = "services"
    watches = ("services",)

    def on_change(self, change: Change) -> None:
        if change.type == "DELETED":
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
            address = self._free_address(spec.get("loadBalancerIP"))
            if address is None:
                self.event(service, "Warning", "SyncLoadBalancerFailed", "Error syncing load balancer: failed to "
                           "ensure load balancer: no available IPs in the pool")
                return
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
