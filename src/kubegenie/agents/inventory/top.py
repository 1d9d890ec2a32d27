"""Current CPU and memory of pods and nodes from the metrics API (`kubectl top`), set against requests,
limits and allocatable capacity, with a chart of the heaviest."""

from __future__ import annotations

from typing import Any

from kubegenie import errors
from kubegenie.agents.base import AgentResult, ResultStatus
from kubegenie.agents.clusterview import ClusterView
from kubegenie.domain import quantity
from kubegenie.domain.answer import Table
from kubegenie.domain.intents import ResourceKind, TopRequest

Obj = dict[str, Any]
METRICS = "/apis/metrics.k8s.io/v1beta1"
DEFAULT_LIMIT = 20


def _sum(containers: list[Obj], resource: str) -> int:
    total = 0
    for container in containers:
        value = (container.get("usage") or {}).get(resource)
        if value is not None:
            total += quantity.cpu_millicores(value) if resource == "cpu" else quantity.memory_bytes(value)
    return total


def _spec_total(pod: Obj | None, section: str, resource: str) -> int:
    total = 0
    for container in ((pod or {}).get("spec") or {}).get("containers") or []:
        value = ((container.get("resources") or {}).get(section) or {}).get(resource)
        if value is not None:
            total += quantity.cpu_millicores(value) if resource == "cpu" else quantity.memory_bytes(value)
    return total


def _percent(used: int, of: int) -> str:
    return f"{100 * used // of}%" if of else "-"


async def _metrics(view: ClusterView, path: str, namespace: str | None) -> list[Obj] | None:
    try:
        body = await view.client.request_json("GET", path, verb="list", resource="pods" if "pods" in path
                                              else "nodes", namespace=namespace)
    except errors.NotFound:
        return None
    return list((body or {}).get("items") or [])


def _bar_chart(title: str, names: list[str], values: list[float], unit: str) -> dict[str, Any]:
    return {"data": [{"type": "bar", "x": names, "y": values, "name": unit}],
            "layout": {"title": {"text": title}, "yaxis": {"title": {"text": unit}},
                       "margin": {"l": 60, "r": 20, "t": 40, "b": 120}}}


async def top(request: TopRequest, view: ClusterView) -> AgentResult:
    if request.kind == ResourceKind.NODE:
        return await _top_nodes(request, view)
    namespace = request.namespace if not request.all_namespaces else None
    view.check_namespace(namespace)
    path = f"{METRICS}/namespaces/{namespace}/pods" if namespace else f"{METRICS}/pods"
    items = await _metrics(view, path, namespace)
    if items is None:
        return _no_metrics(view)
    rows = []
    for item in items:
        meta = item.get("metadata") or {}
        pod = view.cache.get("pods", meta.get("name", ""), meta.get("namespace"))
        cpu, memory = _sum(item.get("containers") or [], "cpu"), _sum(item.get("containers") or [], "memory")
        rows.append((meta.get("namespace", ""), meta.get("name", ""), cpu, memory,
                     _spec_total(pod, "requests", "cpu"), _spec_total(pod, "limits", "memory")))
    key = 2 if request.sort_by == "cpu" else 3
    rows.sort(key=lambda r: -r[key])
    shown = rows[:request.limit or DEFAULT_LIMIT]
    table = Table(title="Pods by " + request.sort_by,
                  columns=["Namespace", "Name", "CPU", "CPU % of request", "Memory", "Memory % of limit"],
                  rows=[[ns, name, f"{cpu}m", _percent(cpu, req), f"{mem // 2**20}Mi", _percent(mem, lim)]
                        for ns, name, cpu, mem, req, lim in shown])
    if not rows:
        return AgentResult(status=ResultStatus.NO_DATA, text=f"No pod metrics {_where(namespace, view)} yet.")
    heaviest = shown[0]
    text = (f"Top {len(shown)} of {len(rows)} pods by {request.sort_by} {_where(namespace, view)}. Heaviest: "
            f"**{heaviest[1]}** with {heaviest[2]}m CPU and {heaviest[3] // 2**20}Mi memory.")
    values = [r[2] if request.sort_by == "cpu" else r[3] / 2**20 for r in shown[:10]]
    chart = _bar_chart(f"Top pods by {request.sort_by}", [r[1] for r in shown[:10]], values,
                       "millicores" if request.sort_by == "cpu" else "MiB")
    return AgentResult(text=text + view.stale_note(), tables=[table], charts=[chart])


def _where(namespace: str | None, view: ClusterView) -> str:
    return f"in namespace {namespace} on {view.name}" if namespace else f"on {view.name}"


def _no_metrics(view: ClusterView) -> AgentResult:
    return AgentResult(status=ResultStatus.NO_DATA,
                       text=f"The metrics API (metrics.k8s.io) is not available on {view.name}, so current usage is "
                            f"unknown. Install metrics-server (`kubectl apply -f https://github.com/kubernetes-sigs/"
                            f"metrics-server/releases/latest/download/components.yaml`) and ask again.")


async def _top_nodes(request: TopRequest, view: ClusterView) -> AgentResult:
    items = await _metrics(view, f"{METRICS}/nodes", None)
    if items is None:
        return _no_metrics(view)
    rows = []
    for item in items:
        name = (item.get("metadata") or {}).get("name", "")
        node = view.cache.get("nodes", name) or {}
        allocatable = (node.get("status") or {}).get("allocatable") or {}
        cpu = quantity.cpu_millicores((item.get("usage") or {}).get("cpu", 0))
        memory = quantity.memory_bytes((item.get("usage") or {}).get("memory", 0))
        rows.append((name, cpu, memory, quantity.cpu_millicores(allocatable.get("cpu", 0)),
                     quantity.memory_bytes(allocatable.get("memory", 0))))
    key = 1 if request.sort_by == "cpu" else 2
    rows.sort(key=lambda r: -r[key])
    shown = rows[:request.limit or DEFAULT_LIMIT]
    if not rows:
        return AgentResult(status=ResultStatus.NO_DATA, text=f"No node metrics on {view.name} yet.")
    table = Table(title="Nodes by " + request.sort_by, columns=["Name", "CPU", "CPU %", "Memory", "Memory %"],
                  rows=[[n, f"{c}m", _percent(c, ca), f"{m // 2**20}Mi", _percent(m, ma)]
                        for n, c, m, ca, ma in shown])
    busiest = shown[0]
    text = (f"{len(rows)} nodes on {view.name}; busiest by {request.sort_by}: **{busiest[0]}** at "
            f"{_percent(busiest[1], busiest[3])} CPU and {_percent(busiest[2], busiest[4])} memory.")
    chart = _bar_chart(f"Node {request.sort_by} use (% of allocatable)", [r[0] for r in shown],
                       [100 * (r[1] / r[3] if request.sort_by == "cpu" else r[2] / r[4]) if (r[3] and r[4]) else 0
                        for r in shown], "%")
    return AgentResult(text=text + view.stale_note(), tables=[table], charts=[chart])
