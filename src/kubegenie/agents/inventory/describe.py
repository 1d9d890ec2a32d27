"""One object in detail, like `kubectl describe` but shorter: what it is, how it is doing, what it owns or
selects, and its recent events. Names are found exactly, by unique prefix, or suggested when unknown.
Secret and ConfigMap values and sensitive environment values are never shown."""

from __future__ import annotations

import difflib
from typing import Any

from kubegenie import errors
from kubegenie.agents.base import AgentResult
from kubegenie.agents.clusterview import ClusterView
from kubegenie.agents.inventory.columns import (
    COLUMNS,
    age,
    cpu_text,
    event_time,
    job_state,
    memory_text,
    node_status,
    restarts_cell,
    service_ports,
    since,
)
from kubegenie.domain import quantity
from kubegenie.domain.answer import Table
from kubegenie.domain.intents import DescribeResourceRequest, GetResourceRequest, ResourceKind
from kubegenie.domain.labels import selector_from_match
from kubegenie.domain.pods import pod_summary
from kubegenie.domain.redaction import env_value

Obj = dict[str, Any]
MAX_EVENTS = 10
_NOISY_ANNOTATIONS = ("kubectl.kubernetes.io/last-applied-configuration", "deployment.kubernetes.io/revision")


def find(view: ClusterView, kind: ResourceKind, name: str, namespace: str | None) -> Obj:
    """The object called `name`, or the only one whose name starts with it; else a did-you-mean error."""
    namespace = namespace if kind.namespaced else None
    view.check_namespace(namespace)
    candidates = view.cache.select(kind.value, namespace)
    exact = [o for o in candidates if o["metadata"]["name"] == name]
    if len(exact) == 1:
        return exact[0]
    prefixed = [o for o in candidates if o["metadata"]["name"].startswith(name)]
    if len(prefixed) == 1:
        return prefixed[0]
    names = [o["metadata"]["name"] for o in candidates]
    where = f" in namespace {namespace}" if namespace else (" in any namespace" if kind.namespaced else "")
    if len(exact) > 1 or len(prefixed) > 1:
        matches = exact or prefixed
        places = ", ".join(f"{o['metadata'].get('namespace')}/{o['metadata']['name']}" for o in matches[:5])
        raise errors.InvalidInput(f"Several {kind.value} match '{name}'{where} on {view.name}: {places}.",
                                  "Name one exactly, or add its namespace (\"in <namespace>\").")
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    hint = f"Did you mean {', '.join(repr(c) for c in close)}? " if close else ""
    raise errors.NotFound(f"No {kind.value.rstrip('s')} '{name}'{where} on {view.name}.",
                          f"{hint}List them with \"list {kind.value}"
                          f"{' in ' + namespace if namespace else ''}\".")


def recent_events(view: ClusterView, obj: Obj, limit: int = MAX_EVENTS) -> list[Obj]:
    meta = obj.get("metadata") or {}
    uid, name, namespace = meta.get("uid"), meta.get("name"), meta.get("namespace", "")
    kind = obj.get("kind")
    found = []
    for event in view.cache.select("events", namespace or None):
        involved = event.get("involvedObject") or {}
        if involved.get("uid") == uid or (involved.get("name") == name and involved.get("kind") == kind
                                          and involved.get("namespace", "") == namespace):
            found.append(event)
    found.sort(key=lambda e: event_time(e) or "", reverse=True)
    return found[:limit]


def events_table(view: ClusterView, events: list[Obj]) -> Table:
    now = view.now()
    rows = []
    for event in events:
        count = event.get("count") or (event.get("series") or {}).get("count") or 1
        seen = since(event_time(event), now)
        rows.append([event.get("type", ""), event.get("reason", ""), f"{seen} (x{count})" if count > 1 else seen,
                     (event.get("source") or {}).get("component") or event.get("reportingComponent") or "",
                     event.get("message", "")])
    return Table(title="Recent events", columns=["Type", "Reason", "Age", "From", "Message"], rows=rows)


def _labels_text(values: dict[str, str] | None) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted((values or {}).items())) or "<none>"


def _header(view: ClusterView, kind: ResourceKind, obj: Obj) -> list[str]:
    meta = obj.get("metadata") or {}
    lines = [f"**{kind.value.rstrip('s').capitalize()} {meta.get('name')}**"
             + (f" in namespace `{meta.get('namespace')}`" if meta.get("namespace") else "")
             + f" on {view.name}, created {age(obj, view.now())} ago."]
    lines.append(f"- Labels: {_labels_text(meta.get('labels'))}")
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items() if k not in _NOISY_ANNOTATIONS}
    if annotations:
        shown = ", ".join(f"{k}={v if len(v) < 80 else v[:77] + '...'}" for k, v in sorted(annotations.items())[:8])
        lines.append(f"- Annotations: {shown}")
    for ref in meta.get("ownerReferences") or []:
        if ref.get("controller"):
            lines.append(f"- Controlled by: {ref.get('kind')}/{ref.get('name')}")
    if meta.get("deletionTimestamp"):
        lines.append(f"- Being deleted since {since(meta['deletionTimestamp'], view.now())} ago "
                     f"(finalizers: {', '.join(meta.get('finalizers') or []) or 'none'})")
    return lines


def _container_state(status: Obj) -> str:
    state = status.get("state") or {}
    if "running" in state:
        return "Running"
    if "waiting" in state:
        waiting = state["waiting"] or {}
        return f"Waiting: {waiting.get('reason', '')}"
    if "terminated" in state:
        terminated = state["terminated"] or {}
        return f"Terminated: {terminated.get('reason', '')} (exit code {terminated.get('exitCode')})"
    return "Unknown"


def _last_state(status: Obj) -> str:
    terminated = (status.get("lastState") or {}).get("terminated")
    if not terminated:
        return ""
    return f"{terminated.get('reason', '')} (exit code {terminated.get('exitCode')}) at {terminated.get('finishedAt')}"


def _pod_details(view: ClusterView, pod: Obj) -> tuple[list[str], list[Table]]:
    spec, status = pod.get("spec") or {}, pod.get("status") or {}
    ready, reason, restarts, last = pod_summary(pod)
    lines = [f"- Status: **{reason}**, ready {ready}, restarts {restarts_cell(restarts, last, view.now())}",
             f"- Node: {spec.get('nodeName') or '<not scheduled>'}, IP: {status.get('podIP') or '<none>'}, "
             f"QoS: {status.get('qosClass', '')}, service account: {spec.get('serviceAccountName', 'default')}"]
    for condition in status.get("conditions") or []:
        if condition.get("status") != "True" and condition.get("message"):
            lines.append(f"- {condition.get('type')}: {condition.get('reason', '')} - {condition.get('message')}")
    statuses = {s.get("name"): s for s in status.get("containerStatuses") or []}
    rows = []
    for container in spec.get("containers") or []:
        current = statuses.get(container.get("name"), {})
        resources = container.get("resources") or {}
        requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
        rows.append([container.get("name"), container.get("image"), _container_state(current),
                     "yes" if current.get("ready") else "no", current.get("restartCount", 0), _last_state(current),
                     f"cpu {cpu_text(requests['cpu']) if 'cpu' in requests else '-'}, memory "
                     f"{memory_text(requests['memory']) if 'memory' in requests else '-'}",
                     f"cpu {cpu_text(limits['cpu']) if 'cpu' in limits else '-'}, memory "
                     f"{memory_text(limits['memory']) if 'memory' in limits else '-'}"])
    tables = [Table(title="Containers", columns=["Name", "Image", "State", "Ready", "Restarts", "Last state",
                                                 "Requests", "Limits"], rows=rows)]
    env_rows = [[c.get("name"), e.get("name"), env_value(e)] for c in spec.get("containers") or []
                for e in c.get("env") or []]
    if env_rows:
        tables.append(Table(title="Environment", columns=["Container", "Variable", "Value"], rows=env_rows))
    return lines, tables


def _pods_of(view: ClusterView, obj: Obj) -> list[Obj]:
    """Pods selected by a workload's selector in its namespace."""
    selector = (obj.get("spec") or {}).get("selector") or {}
    if not selector:
        return []
    parsed = selector_from_match(selector.get("matchLabels"), selector.get("matchExpressions"))
    return view.cache.select("pods", obj["metadata"].get("namespace"), selector=parsed)


def _pods_table(view: ClusterView, pods: list[Obj]) -> Table:
    headers, row = COLUMNS[ResourceKind.POD]
    now = view.now()
    return Table(title="Pods", columns=["Name", *headers], rows=[[p["metadata"]["name"], *row(p, now)]
                                                                  for p in pods[:50]])


def _conditions_lines(obj: Obj) -> list[str]:
    return [f"- Condition {c.get('type')}={c.get('status')}: {c.get('reason', '')} {c.get('message', '')}".rstrip()
            for c in (obj.get("status") or {}).get("conditions") or []]


def _workload_details(view: ClusterView, kind: ResourceKind, obj: Obj) -> tuple[list[str], list[Table]]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    template = (spec.get("template") or {}).get("spec") or {}
    images = ", ".join(f"{c.get('name')}={c.get('image')}" for c in template.get("containers") or [])
    lines = []
    if kind in (ResourceKind.DEPLOYMENT, ResourceKind.STATEFULSET, ResourceKind.REPLICASET):
        lines.append(f"- Replicas: {spec.get('replicas', 0)} desired, {status.get('updatedReplicas', 0)} updated, "
                     f"{status.get('readyReplicas', 0)} ready, {status.get('availableReplicas', 0)} available")
    if kind == ResourceKind.DEPLOYMENT:
        strategy = spec.get("strategy") or {}
        lines.append(f"- Strategy: {strategy.get('type', 'RollingUpdate')}")
    if kind == ResourceKind.DAEMONSET:
        lines.append(f"- Nodes: {status.get('desiredNumberScheduled', 0)} desired, {status.get('numberReady', 0)} "
                     f"ready, {status.get('numberUnavailable', 0)} unavailable")
    if kind == ResourceKind.JOB:
        lines.append(f"- {job_state(obj)}: {status.get('succeeded', 0)} succeeded, {status.get('failed', 0)} "
                     f"failed of {spec.get('completions', 1)} (backoff limit {spec.get('backoffLimit', 6)})")
    if images:
        lines.append(f"- Images: {images}")
    lines.extend(_conditions_lines(obj))
    pods = _pods_of(view, obj)
    return lines, [_pods_table(view, pods)] if pods else []


def _service_details(view: ClusterView, service: Obj) -> tuple[list[str], list[Table]]:
    spec = service.get("spec") or {}
    lines = [f"- Type {spec.get('type', 'ClusterIP')}, cluster IP {spec.get('clusterIP')}, ports "
             f"{service_ports(service)}",
             f"- Selector: {_labels_text(spec.get('selector'))}"]
    endpoints = view.cache.get("endpoints", service["metadata"]["name"], service["metadata"].get("namespace"))
    ready = sum(len(s.get("addresses") or []) for s in (endpoints or {}).get("subsets") or [])
    not_ready = sum(len(s.get("notReadyAddresses") or []) for s in (endpoints or {}).get("subsets") or [])
    lines.append(f"- Endpoints: {ready} ready, {not_ready} not ready"
                 + (" - **no pod serves this service**" if spec.get("selector") and not ready else ""))
    return lines, []


def _node_details(view: ClusterView, node: Obj) -> tuple[list[str], list[Table]]:
    status = node.get("status") or {}
    info = status.get("nodeInfo") or {}
    labels = (node.get("metadata") or {}).get("labels") or {}
    pods = view.cache.select("pods", node=node["metadata"]["name"], ordered=False)
    requested_cpu = sum(view.pod_requests(p)[0] for p in pods)
    requested_mem = sum(view.pod_requests(p)[1] for p in pods)
    allocatable = status.get("allocatable") or {}
    cpu_alloc = quantity.cpu_millicores(allocatable.get("cpu", 0)) or 1
    mem_alloc = quantity.memory_bytes(allocatable.get("memory", 0)) or 1
    lines = [f"- Status: **{node_status(node)}**, kubelet {info.get('kubeletVersion', '')}, "
             f"{labels.get('node.kubernetes.io/instance-type', 'unknown type')} in "
             f"{labels.get('topology.kubernetes.io/zone', 'unknown zone')}",
             f"- Pods: {len(pods)} of {allocatable.get('pods', '?')}",
             f"- Requested: cpu {requested_cpu}m of {cpu_alloc}m ({100 * requested_cpu // cpu_alloc}%), memory "
             f"{requested_mem // 2**20}Mi of {mem_alloc // 2**20}Mi ({100 * requested_mem // mem_alloc}%)"]
    for taint in (node.get("spec") or {}).get("taints") or []:
        lines.append(f"- Taint: {taint.get('key')}={taint.get('value', '')}:{taint.get('effect')}")
    rows = [[c.get("type"), c.get("status"), c.get("reason", ""), c.get("message", "")]
            for c in status.get("conditions") or []]
    return lines, [Table(title="Conditions", columns=["Type", "Status", "Reason", "Message"], rows=rows)]


def _keys_only(obj: Obj) -> tuple[list[str], list[Table]]:
    keys = sorted(set(obj.get("data") or {}) | set(obj.get("binaryData") or {}))
    return [f"- Keys ({len(keys)}): {', '.join(keys) or '<none>'} (values are not shown)"], []


def details(view: ClusterView, kind: ResourceKind, obj: Obj) -> tuple[list[str], list[Table]]:
    if kind == ResourceKind.POD:
        return _pod_details(view, obj)
    if kind in (ResourceKind.DEPLOYMENT, ResourceKind.STATEFULSET, ResourceKind.DAEMONSET, ResourceKind.REPLICASET,
                ResourceKind.JOB):
        return _workload_details(view, kind, obj)
    if kind == ResourceKind.SERVICE:
        return _service_details(view, obj)
    if kind == ResourceKind.NODE:
        return _node_details(view, obj)
    if kind in (ResourceKind.CONFIGMAP, ResourceKind.SECRET):
        return _keys_only(obj)
    headers, row = COLUMNS[kind]
    values = row(obj, view.now())
    return [f"- {header}: {value}" for header, value in zip(headers, values, strict=True)] + \
        _conditions_lines(obj), []


def describe(request: DescribeResourceRequest, view: ClusterView) -> AgentResult:
    obj = find(view, request.kind, request.name, request.namespace)
    lines = _header(view, request.kind, obj)
    more, tables = details(view, request.kind, obj)
    events = recent_events(view, obj)
    if events:
        tables.append(events_table(view, events))
        warnings = [e for e in events if e.get("type") == "Warning"]
        if warnings:
            lines.append(f"- Latest warning: **{warnings[0].get('reason')}**: {warnings[0].get('message')}")
    else:
        lines.append("- No recent events.")
    return AgentResult(text="\n".join(lines + more) + view.stale_note(), tables=tables)


def get(request: GetResourceRequest, view: ClusterView) -> AgentResult:
    obj = find(view, request.kind, request.name, request.namespace)
    headers, row = COLUMNS[request.kind]
    meta = obj["metadata"]
    columns = (["Namespace"] if request.kind.namespaced else []) + ["Name", *headers]
    values = ([meta.get("namespace", "")] if request.kind.namespaced else []) + [meta["name"],
                                                                                  *row(obj, view.now())]
    summary = ", ".join(f"{h.lower()} {v}" for h, v in zip(headers, values[-len(headers):], strict=True))
    text = f"{request.kind.value.rstrip('s').capitalize()} **{meta['name']}**: {summary}."
    return AgentResult(text=text + view.stale_note(),
                       tables=[Table(title=f"{request.kind.value} {meta['name']}", columns=columns, rows=[values])])
