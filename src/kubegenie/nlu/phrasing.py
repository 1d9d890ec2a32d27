"""Requests said back in words ("restart deployment web in shop on prod"), for clarification options and
confirmation questions, and one example question per intent for help and "did you mean".
"""

from __future__ import annotations

from kubegenie.domain.intents import (
    AnyRequest,
    CordonRequest,
    CostReportRequest,
    CountResourcesRequest,
    DescribeResourceRequest,
    DrainRequest,
    GetResourceRequest,
    Intent,
    ListEventsRequest,
    ListResourcesRequest,
    NodeStatusRequest,
    PodLogsRequest,
    ProvisionRequest,
    ResourceKind,
    RestartRequest,
    ScaleRequest,
    SecurityAuditRequest,
    TopRequest,
    UncordonRequest,
)
from kubegenie.nlu.vocabulary import singular

EXAMPLES: dict[Intent, str] = {
    Intent.CLUSTER_OVERVIEW: "cluster overview",
    Intent.LIST_RESOURCES: "list pods in payments",
    Intent.COUNT_RESOURCES: "how many deployments are there",
    Intent.GET_RESOURCE: "get deployment web",
    Intent.DESCRIBE_RESOURCE: "describe pod checkout",
    Intent.POD_LOGS: "logs of checkout, last 50 lines",
    Intent.TOP: "top pods by memory",
    Intent.NODE_STATUS: "node status",
    Intent.LIST_EVENTS: "warning events in the last hour",
    Intent.API_RESOURCES: "which resource types does the cluster have",
    Intent.LIST_CLUSTERS: "list clusters",
    Intent.HELP: "help",
    Intent.HEALTH_CHECK: "is the cluster healthy",
    Intent.DIAGNOSE: "why is checkout crashing",
    Intent.WHAT_CHANGED: "what changed in the last 2 hours",
    Intent.COST_REPORT: "cost by namespace",
    Intent.SECURITY_AUDIT: "security audit",
    Intent.SCALE: "scale deployment web to 3 replicas",
    Intent.RESTART: "restart deployment web",
    Intent.DRAIN: "drain node-2",
    Intent.CORDON: "cordon node-2",
    Intent.UNCORDON: "uncordon node-2",
    Intent.PROVISION: "provision a small postgres database on aws",
    Intent.CLUSTER_REPORT: "full report on the cluster",
}
"""One question per intent, short enough for a button."""

_VERBS: dict[Intent, str] = {
    Intent.CLUSTER_OVERVIEW: "show the cluster overview", Intent.API_RESOURCES: "list the API resource types",
    Intent.LIST_CLUSTERS: "list the clusters", Intent.HELP: "show what I can do",
    Intent.HEALTH_CHECK: "check health", Intent.DIAGNOSE: "diagnose", Intent.WHAT_CHANGED: "show what changed",
    Intent.CLUSTER_REPORT: "write a full cluster report",
}


def _where(request: AnyRequest) -> str:
    parts = []
    if request.all_namespaces:
        parts.append("in all namespaces")
    elif request.namespace:
        parts.append(f"in {request.namespace}")
    if request.all_clusters:
        parts.append("on every cluster")
    elif request.cluster:
        parts.append(f"on {request.cluster}")
    return (" " + " ".join(parts)) if parts else ""


def _plural(kind: ResourceKind) -> str:
    word = singular(kind)
    if word.endswith("y"):
        return word[:-1] + "ies"
    return word + ("es" if word.endswith(("s", "ss")) else "s")


def phrase(request: AnyRequest) -> str:
    """The request in a few words, lowercase, as a person would type it."""
    return _body(request) + _where(request)


def _body(request: AnyRequest) -> str:
    if isinstance(request, ScaleRequest):
        return f"scale {singular(request.kind)} {request.name} to {request.replicas} replicas"
    if isinstance(request, RestartRequest):
        return f"restart {singular(request.kind)} {request.name}"
    if isinstance(request, DrainRequest | CordonRequest | UncordonRequest):
        return f"{request.intent.value} node {request.node}"
    if isinstance(request, ProvisionRequest):
        what = " ".join(x for x in (request.size, request.resource) if x)
        named = f" named {request.name}" if request.name else ""
        where = "".join(f" {x}" for x in (request.provider, request.region) if x)
        return f"provision a {what}{named}{' on' + where if where else ''}"
    if isinstance(request, CountResourcesRequest):
        return "count " + _listing(request)
    if isinstance(request, ListResourcesRequest):
        return "list " + _listing(request)
    if isinstance(request, GetResourceRequest | DescribeResourceRequest):
        verb = "get" if isinstance(request, GetResourceRequest) else "describe"
        return f"{verb} {singular(request.kind)} {request.name}"
    if isinstance(request, PodLogsRequest):
        extras = [f"last {request.tail} lines"]
        if request.previous:
            extras.append("previous container")
        if request.container:
            extras.append(f"container {request.container}")
        if request.grep:
            extras.append(f"matching '{request.grep}'")
        return f"logs of {singular(request.kind)} {request.name} ({', '.join(extras)})"
    if isinstance(request, TopRequest):
        return f"top {request.kind.value} by {request.sort_by}"
    if isinstance(request, NodeStatusRequest):
        return f"status of node {request.name}" if request.name else "node status"
    if isinstance(request, ListEventsRequest):
        about = f" for {request.involved_name}" if request.involved_name else ""
        return ("warning events" if request.warnings_only else "events") + about
    if isinstance(request, CostReportRequest):
        return f"cost by {request.label if request.group_by == 'label' and request.label else request.group_by}"
    if isinstance(request, SecurityAuditRequest):
        return f"security audit ({request.topic})" if request.topic else "security audit"
    name: str | None = getattr(request, "name", None)
    base = _VERBS.get(request.intent, request.intent.value.replace("_", " "))
    return f"{base} of {name}" if name else base


def _listing(request: ListResourcesRequest) -> str:
    words = []
    if request.status:
        words.append(request.status.value.replace("_", " "))
    words.append(_plural(request.kind))
    if request.label_selector:
        words.append(f"with {request.label_selector}")
    if request.node:
        words.append(f"on node {request.node}")
    if request.name_contains:
        words.append(f"named like {request.name_contains}")
    return " ".join(words)
