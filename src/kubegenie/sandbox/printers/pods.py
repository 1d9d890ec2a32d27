"""`kubectl get pods`: Ready, the Status reason (waiting/terminated reasons, Init:N/M, sidecars, Terminating,
Unknown for lost nodes, SchedulingGated), Restarts with the time since the last restart, and the wide IP / Node
/ Nominated Node / Readiness Gates columns, following the apiserver's printPod."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from kubegenie.domain.durations import human_duration
from kubegenie.domain.pods import pod_summary
from kubegenie.sandbox.printers.cells import NONE
from kubegenie.sandbox.printers.table import AGE, NAME, Column, Printer, age, register
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

def _restarts_cell(cluster: Cluster, restarts: int, last: datetime | None) -> str:
    if restarts and last is not None:
        return f"{restarts} ({human_duration(cluster.clock.time() - last.timestamp())} ago)"
    return str(restarts)


def _readiness_gates(pod: Obj) -> str:
    gates = (pod.get("spec") or {}).get("readinessGates") or []
    if not gates:
        return NONE
    conditions = {c.get("type"): c.get("status") for c in (pod.get("status") or {}).get("conditions") or []}
    true = sum(1 for gate in gates if conditions.get(gate.get("conditionType")) == "True")
    return f"{true}/{len(gates)}"


def _row(cluster: Cluster, pod: Obj) -> list[Any]:
    ready, reason, restarts, last = pod_summary(pod)
    spec, pod_status = pod.get("spec") or {}, pod.get("status") or {}
    # Converting a v1 pod to the internal type fills podIPs from podIP when only the latter is set.
    pod_ips = pod_status.get("podIPs") or []
    ip = (pod_ips[0].get("ip") if pod_ips else pod_status.get("podIP")) or NONE
    return [pod["metadata"]["name"], ready, reason, _restarts_cell(cluster, restarts, last), age(cluster, pod),
            ip, spec.get("nodeName") or NONE, pod_status.get("nominatedNodeName") or NONE, _readiness_gates(pod)]


register("pods")(Printer([
    NAME,
    Column("Ready", description="The aggregate readiness state of this pod for accepting traffic."),
    Column("Status", description="The aggregate status of the containers in this pod."),
    Column("Restarts", description="The number of times the containers in this pod have been restarted and when "
                                   "the last container in this pod has restarted."),
    AGE,
    Column("IP", priority=1, description="podIP address allocated to the pod. Routable at least within the "
                                         "cluster. Empty if not yet allocated."),
    Column("Node", priority=1, description="NodeName indicates in which node this pod is scheduled."),
    Column("Nominated Node", priority=1, description="nominatedNodeName is set only when this pod preempts other "
                                                     "pods on the node."),
    Column("Readiness Gates", priority=1, description="If specified, all readiness gates will be evaluated for "
                                                      "pod readiness."),
], _row))
