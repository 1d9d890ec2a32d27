"""`kubectl get nodes`: Status from the Ready condition plus SchedulingDisabled, Roles from
node-role.kubernetes.io/* and kubernetes.io/role labels, Version, and the wide address and system-info
columns."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubegenie.sandbox.printers.cells import NONE, UNKNOWN
from kubegenie.sandbox.printers.table import AGE, NAME, Column, Printer, age, register
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

_ROLE_PREFIX = "node-role.kubernetes.io/"
_ROLE_LABEL = "kubernetes.io/role"


def node_status(node: Obj) -> str:
    ready = next((c for c in (node.get("status") or {}).get("conditions") or [] if c.get("type") == "Ready"), None)
    parts = ["Unknown" if ready is None else "Ready" if ready.get("status") == "True" else "NotReady"]
    if (node.get("spec") or {}).get("unschedulable"):
        parts.append("SchedulingDisabled")
    return ",".join(parts)


def node_roles(node: Obj) -> str:
    roles = set()
    for key, value in ((node.get("metadata") or {}).get("labels") or {}).items():
        if key.startswith(_ROLE_PREFIX) and key[len(_ROLE_PREFIX):]:
            roles.add(key[len(_ROLE_PREFIX):])
        elif key == _ROLE_LABEL and value:
            roles.add(str(value))
    return ",".join(sorted(roles)) or NONE


def _address(node: Obj, address_type: str) -> str:
    for address in (node.get("status") or {}).get("addresses") or []:
        if address.get("type") == address_type:
            return str(address.get("address", ""))
    return NONE


def _row(cluster: Cluster, node: Obj) -> list[Any]:
    info = (node.get("status") or {}).get("nodeInfo") or {}
    return [node["metadata"]["name"], node_status(node), node_roles(node), age(cluster, node),
            info.get("kubeletVersion", ""), _address(node, "InternalIP"), _address(node, "ExternalIP"),
            info.get("osImage") or UNKNOWN, info.get("kernelVersion") or UNKNOWN,
            info.get("containerRuntimeVersion") or UNKNOWN]


register("nodes")(Printer([
    NAME,
    Column("Status", description="The status of the node"),
    Column("Roles", description="The roles of the node"),
    AGE,
    Column("Version", description="Kubelet Version reported by the node."),
    Column("Internal-IP", priority=1, description="List of addresses reachable to the node."),
    Column("External-IP", priority=1, description="List of addresses reachable to the node."),
    Column("OS-Image", priority=1, description="OS Image reported by the node from /etc/os-release (e.g. Debian "
                                               "GNU/Linux 7 (wheezy))."),
    Column("Kernel-Version", priority=1, description="Kernel Version reported by the node from 'uname -r' (e.g. "
                                                     "3.16.0-0.bpo.4-amd64)."),
    Column("Container-Runtime", priority=1, description="ContainerRuntime Version reported by the node through "
                                                        "runtime remote API (e.g. containerd://1.4.2)."),
], _row))
