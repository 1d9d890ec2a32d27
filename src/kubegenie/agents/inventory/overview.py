"""The cluster at a glance (version, nodes with role, kubelet, health and pod count, namespaces, workload
counts, problems) and node status (conditions, pressure, taints, allocatable against requested)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from kubegenie.agents.base import AgentResult
from kubegenie.agents.clusterview import ClusterView, Views
from kubegenie.agents.inventory.columns import node_ready, node_roles, node_status
from kubegenie.agents.inventory.describe import details, find
from kubegenie.domain import quantity
from kubegenie.domain.answer import Table
from kubegenie.domain.intents import NodeStatusRequest, ResourceKind

Obj = dict[str, Any]
_PRESSURE = ("MemoryPressure", "DiskPressure", "PIDPressure", "NetworkUnavailable")


def node_rows(view: ClusterView) -> list[list[Any]]:
    rows = []
    for node in view.cache.select("nodes"):
        name = node["metadata"]["name"]
        pods = view.cache.select("pods", node=name, ordered=False)
        requested_cpu = sum(view.pod_requests(p)[0] for p in pods)
        requested_memory = sum(view.pod_requests(p)[1] for p in pods)
        allocatable = (node.get("status") or {}).get("allocatable") or {}
        cpu = quantity.cpu_millicores(allocatable.get("cpu", 0))
        memory = quantity.memory_bytes(allocatable.get("memory", 0))
        pressure = [c["type"] for c in (node.get("status") or {}).get("conditions") or []
                    if c.get("type") in _PRESSURE and c.get("status") == "True"]
        rows.append([name, node_status(node) + (f" ({', '.join(pressure)})" if pressure else ""), node_roles(node),
                     ((node.get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion", ""), len(pods),
                     f"{100 * requested_cpu // cpu}%" if cpu else "-",
                     f"{100 * requested_memory // memory}%" if memory else "-"])
    return rows


NODE_COLUMNS = ["Name", "Status", "Roles", "Kubelet", "Pods", "CPU requested", "Memory requested"]


def _problems(view: ClusterView, nodes: list[Obj], states: dict[str, list[Obj]]) -> list[str]:
    problems = []
    not_ready = [n["metadata"]["name"] for n in nodes if node_ready(n) != "Ready"]
    if not_ready:
        problems.append(f"{len(not_ready)} node(s) not ready: {', '.join(not_ready)}")
    failing = states.get("failing", [])
    if failing:
        reasons = Counter(view.pod_summary(p)[1] for p in failing)
        problems.append(f"{len(failing)} failing pod(s): " + ", ".join(f"{n} {r}" for r, n in reasons.most_common()))
    if states.get("pending"):
        problems.append(f"{len(states['pending'])} pending pod(s)")
    if states.get("not_ready"):
        problems.append(f"{len(states['not_ready'])} running pod(s) not ready")
    degraded = [d for d in view.cache.select("deployments", ordered=False)
                if (d.get("status") or {}).get("availableReplicas", 0) < (d.get("spec") or {}).get("replicas", 0)]
    if degraded:
        problems.append(f"{len(degraded)} deployment(s) below desired replicas")
    return problems


def overview(views: Views) -> AgentResult:
    sections: list[str] = []
    tables: list[Table] = []
    charts: list[dict[str, Any]] = []
    for view in views.clusters:
        cache = view.cache
        pods = cache.select("pods", ordered=False)
        by_state: dict[str, list[Obj]] = {}
        for pod in pods:  # one pass: every pod's state is needed for the counts and the problems
            by_state.setdefault(view.pod_state(pod), []).append(pod)
        states = Counter({state: len(members) for state, members in by_state.items()})
        counts = {kind: cache.count(kind) for kind in ("deployments", "statefulsets", "daemonsets", "jobs",
                                                       "cronjobs", "services") if kind in cache.informers}
        version = ""
        nodes = cache.select("nodes")
        if nodes:
            version = ((nodes[0].get("status") or {}).get("nodeInfo") or {}).get("kubeletVersion", "")
        ready_nodes = sum(1 for n in nodes if node_ready(n) == "Ready")
        lines = [f"### {view.name}",
                 f"Kubernetes {version or 'unknown'}; **{ready_nodes}/{len(nodes)} nodes ready**, "
                 f"{len(cache.namespaces())} namespaces, **{len(pods)} pods** ("
                 + ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in states.most_common()) + ").",
                 "Workloads: " + ", ".join(f"{n} {k}" for k, n in counts.items()) + "."]
        problems = _problems(view, nodes, by_state)
        lines.append("Problems at a glance:\n" + "\n".join(f"- {p}" for p in problems) if problems
                     else "No problems at a glance.")
        sections.append("\n".join(lines) + view.stale_note())
        tables.append(Table(title=f"Nodes of {view.name}", columns=NODE_COLUMNS, rows=node_rows(view)))
        per_namespace = Counter(p["metadata"].get("namespace", "") for p in pods)
        charts.append({"data": [{"type": "bar", "x": list(per_namespace), "y": list(per_namespace.values()),
                                 "name": "pods"}],
                       "layout": {"title": {"text": f"Pods per namespace on {view.name}"}}})
    return AgentResult(text="\n\n".join(sections) + views.failure_note(), tables=tables, charts=charts)


def node_status_answer(request: NodeStatusRequest, view: ClusterView) -> AgentResult:
    if request.name is None:
        rows = node_rows(view)
        unhealthy = [r for r in rows if not str(r[1]).startswith("Ready") or "Pressure" in str(r[1])]
        text = f"{len(rows)} nodes on {view.name}; " + (
            f"**{len(unhealthy)} need attention**: " + ", ".join(f"{r[0]} ({r[1]})" for r in unhealthy)
            if unhealthy else "all ready, no pressure.")
        return AgentResult(text=text + view.stale_note(),
                           tables=[Table(title=f"Nodes of {view.name}", columns=NODE_COLUMNS, rows=rows)])
    node = find(view, ResourceKind.NODE, request.name, None)
    lines, tables = details(view, ResourceKind.NODE, node)
    return AgentResult(text=f"**Node {node['metadata']['name']}** on {view.name}\n" + "\n".join(lines)
                       + view.stale_note(), tables=tables)
