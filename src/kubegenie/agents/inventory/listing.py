"""Listing and counting objects of a kind from the caches, with the filters people ask for: namespace,
node, labels, a name fragment and, for pods, how they are doing (failing, pending, restarting, not ready)."""

from __future__ import annotations

from collections import Counter
from typing import Any

from kubegenie.agents.base import AgentResult, ResultStatus
from kubegenie.agents.clusterview import ClusterView, Views
from kubegenie.agents.inventory.columns import COLUMNS, event_time
from kubegenie.domain.answer import Table
from kubegenie.domain.intents import (
    CountResourcesRequest,
    ListEventsRequest,
    ListResourcesRequest,
    PodStatusFilter,
    ResourceKind,
)
from kubegenie.domain.labels import LabelSelectorError, parse_label_selector
from kubegenie.errors import InvalidInput

Obj = dict[str, Any]
MAX_ROWS = 200


def matches_status(view: ClusterView, pod: Obj, wanted: PodStatusFilter) -> bool:
    state = view.pod_state(pod)
    if wanted == PodStatusFilter.RESTARTING:
        return view.pod_summary(pod)[2] > 0
    if wanted == PodStatusFilter.FAILING:
        return state in ("failing", "not_ready")
    return state == wanted.value


def select(view: ClusterView, request: ListResourcesRequest) -> list[Obj]:
    """The objects a list request means on one cluster."""
    kind = request.kind
    namespace = request.namespace if kind.namespaced and not request.all_namespaces else None
    view.check_namespace(namespace)
    try:
        selector = parse_label_selector(request.label_selector) if request.label_selector else None
    except LabelSelectorError as exc:
        raise InvalidInput(f"'{request.label_selector}' is not a label selector: {exc}",
                           "Write selectors like app=web or 'tier in (front,back)'.") from exc
    if kind.value not in view.cache.informers:
        raise InvalidInput(f"KubeGenie does not cache {kind.value}.", "Ask about pods, deployments, services, ...")
    if request.node is not None and view.cache.get("nodes", request.node) is None and kind == ResourceKind.POD:
        known = [n["metadata"]["name"] for n in view.cache.select("nodes")]
        close = [n for n in known if request.node in n][:3]
        hint = f"Did you mean {', '.join(close)}? " if close else ""
        raise InvalidInput(f"No node '{request.node}' on {view.name}.", f"{hint}Nodes: {', '.join(known[:10])}.")
    objects = view.cache.select(kind.value, namespace, selector=selector,
                                node=request.node if kind == ResourceKind.POD else None)
    if request.name_contains:
        fragment = request.name_contains.lower()
        objects = [o for o in objects if fragment in o["metadata"]["name"].lower()]
    if kind == ResourceKind.POD and request.status is not None:
        status = request.status
        objects = [o for o in objects if matches_status(view, o, status)]
        if status == PodStatusFilter.RESTARTING:
            objects.sort(key=lambda o: -view.pod_summary(o)[2])
    if kind == ResourceKind.EVENT:
        objects.sort(key=lambda o: str(o.get("lastTimestamp") or o.get("eventTime") or ""), reverse=True)
    return objects


def _describe_scope(request: ListResourcesRequest, views: Views) -> str:
    parts = []
    if request.kind.namespaced:
        parts.append(f"in namespace {request.namespace}" if request.namespace and not request.all_namespaces
                     else "in all namespaces")
    if request.node:
        parts.append(f"on node {request.node}")
    if request.label_selector:
        parts.append(f"with labels {request.label_selector}")
    if request.name_contains:
        parts.append(f"named like '{request.name_contains}'")
    clusters = [v.name for v in views.clusters]
    parts.append(f"on {'clusters ' + ', '.join(clusters) if len(clusters) > 1 else clusters[0]}")
    return " ".join(parts)


def _noun(kind: ResourceKind, count: int, status: PodStatusFilter | None) -> str:
    singular = {"persistentvolumeclaims": "PVC", "persistentvolumes": "PV", "horizontalpodautoscalers": "HPA",
                "poddisruptionbudgets": "PDB", "networkpolicies": "network policy",
                "storageclasses": "storage class", "serviceaccounts": "service account",
                "configmaps": "ConfigMap", "ingresses": "ingress"}.get(kind.value, kind.value.rstrip("s"))
    if count != 1:
        singular = singular[:-1] + "ies" if singular.endswith("y") and not singular.endswith("ay") \
            else singular + ("es" if singular.endswith(("s", "x")) else "s")
    adjective = {"not_ready": "not ready"}.get(status.value, status.value) + " " if status else ""
    return f"{adjective}{singular}"


def list_resources(request: ListResourcesRequest, views: Views) -> AgentResult:
    kind = request.kind
    headers, row = COLUMNS[kind]
    show_namespace = kind.namespaced and (not request.namespace or request.all_namespaces)
    rows: list[list[Any]] = []
    total = 0
    states: Counter[str] = Counter()
    for view in views.clusters:
        objects = select(view, request)
        total += len(objects)
        now = view.now()
        for obj in objects:
            if kind == ResourceKind.POD:
                states[view.pod_state(obj)] += 1
            if len(rows) >= (request.limit or MAX_ROWS):
                continue
            prefix = ([view.name] if views.multi else []) + \
                ([obj["metadata"].get("namespace", "")] if show_namespace else [])
            rows.append([*prefix, obj["metadata"]["name"], *row(obj, now)])
    columns = (["Cluster"] if views.multi else []) + (["Namespace"] if show_namespace else []) + ["Name", *headers]
    scope = _describe_scope(request, views)
    notes = "".join(v.stale_note() for v in views.clusters) + views.failure_note()
    if total == 0:
        return AgentResult(status=ResultStatus.NO_DATA,
                           text=f"No {_noun(kind, 0, request.status)} {scope}.{notes}")
    text = f"**{total} {_noun(kind, total, request.status)}** {scope}"
    if kind == ResourceKind.POD and request.status is None and len(states) > 1:
        text += " (" + ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in states.most_common()) + ")"
    text += "."
    if len(rows) < total:
        text += f" Showing the first {len(rows)}; narrow it with a namespace, label or name."
    title = f"{kind.value} {scope}"
    return AgentResult(text=text + notes, tables=[Table(title=title, columns=columns, rows=rows)])


def count_resources(request: CountResourcesRequest, views: Views) -> AgentResult:
    kind = request.kind
    per_cluster: list[list[Any]] = []
    total = 0
    breakdown: Counter[str] = Counter()
    by_namespace: Counter[str] = Counter()
    for view in views.clusters:
        objects = select(view, request)
        total += len(objects)
        per_cluster.append([view.name, len(objects)])
        for obj in objects:
            by_namespace[obj["metadata"].get("namespace", "")] += 1
            if kind == ResourceKind.POD:
                breakdown[view.pod_state(obj)] += 1
    scope = _describe_scope(request, views)
    text = f"There {'is' if total == 1 else 'are'} **{total} {_noun(kind, total, request.status)}** {scope}"
    if breakdown and request.status is None:
        text += ": " + ", ".join(f"{n} {s.replace('_', ' ')}" for s, n in breakdown.most_common())
    text += "."
    tables = []
    if views.multi:
        tables.append(Table(title=f"{kind.value} per cluster", columns=["Cluster", "Count"], rows=per_cluster))
    elif kind.namespaced and len(by_namespace) > 1:
        tables.append(Table(title=f"{kind.value} per namespace", columns=["Namespace", "Count"],
                            rows=[[ns, n] for ns, n in sorted(by_namespace.items())]))
    notes = "".join(v.stale_note() for v in views.clusters) + views.failure_note()
    return AgentResult(status=ResultStatus.OK if total else ResultStatus.NO_DATA, text=text + notes, tables=tables)


def list_events(request: ListEventsRequest, views: Views) -> AgentResult:
    """Events, newest first, optionally only warnings, about one object, or within a time window."""
    headers, row = COLUMNS[ResourceKind.EVENT]
    rows: list[list[Any]] = []
    total = 0
    reasons: Counter[str] = Counter()
    for view in views.clusters:
        namespace = request.namespace if not request.all_namespaces else None
        view.check_namespace(namespace)
        now = view.now()
        events = view.cache.select("events", namespace)
        if request.warnings_only:
            events = [e for e in events if e.get("type") == "Warning"]
        if request.involved_name:
            events = [e for e in events if (e.get("involvedObject") or {}).get("name", "").startswith(
                request.involved_name)]
        if request.involved_kind:
            wanted = request.involved_kind.value.rstrip("s").lower()
            events = [e for e in events if str((e.get("involvedObject") or {}).get("kind", "")).lower() == wanted]
        if request.window is not None:
            cutoff = request.window.since.isoformat().replace("+00:00", "Z")
            events = [e for e in events if (event_time(e) or "") >= cutoff]
        events.sort(key=lambda e: event_time(e) or "", reverse=True)
        total += len(events)
        for event in events:
            reasons[str(event.get("reason", ""))] += 1
            if len(rows) < MAX_ROWS:
                prefix = [view.name] if views.multi else []
                rows.append([*prefix, event["metadata"].get("namespace", ""), *row(event, now)])
    kind = "warning events" if request.warnings_only else "events"
    where = f"in namespace {request.namespace}" if request.namespace and not request.all_namespaces \
        else "in all namespaces"
    notes = "".join(v.stale_note() for v in views.clusters) + views.failure_note()
    if not total:
        return AgentResult(status=ResultStatus.NO_DATA, text=f"No {kind} {where}.{notes}")
    text = f"**{total} {kind if total != 1 else kind[:-1]}** {where}; most common reasons: " + \
        ", ".join(f"{r} ({n})" for r, n in reasons.most_common(5)) + "."
    columns = (["Cluster"] if views.multi else []) + ["Namespace", *headers]
    return AgentResult(text=text + notes, tables=[Table(title=kind.capitalize(), columns=columns, rows=rows)])
