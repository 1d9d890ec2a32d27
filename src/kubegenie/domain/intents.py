"""The intent catalogue: every kind of request KubeGenie understands, as an enum, with one typed request
model per intent. Requests are plain, serialisable values (they cross task queues); the union
`AnyRequest` is discriminated on `intent`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from kubegenie.domain.names import dns1123_label_errors, dns1123_subdomain_errors


class Intent(StrEnum):
    # Inventory: what is there.
    CLUSTER_OVERVIEW = "cluster_overview"
    LIST_RESOURCES = "list_resources"
    COUNT_RESOURCES = "count_resources"
    GET_RESOURCE = "get_resource"
    DESCRIBE_RESOURCE = "describe_resource"
    POD_LOGS = "pod_logs"
    TOP = "top"
    NODE_STATUS = "node_status"
    LIST_EVENTS = "list_events"
    API_RESOURCES = "api_resources"
    LIST_CLUSTERS = "list_clusters"
    HELP = "help"
    # Monitoring and diagnostics.
    HEALTH_CHECK = "health_check"
    DIAGNOSE = "diagnose"
    WHAT_CHANGED = "what_changed"
    # Cost and security.
    COST_REPORT = "cost_report"
    SECURITY_AUDIT = "security_audit"
    # Operations (change a cluster, always confirmed first).
    SCALE = "scale"
    RESTART = "restart"
    DRAIN = "drain"
    CORDON = "cordon"
    UNCORDON = "uncordon"
    # Infrastructure through Crossplane.
    PROVISION = "provision"
    # Several agents at once.
    CLUSTER_REPORT = "cluster_report"


MUTATING_INTENTS = frozenset({Intent.SCALE, Intent.RESTART, Intent.DRAIN, Intent.CORDON, Intent.UNCORDON,
                              Intent.PROVISION})
"""Intents that change a cluster: never guessed, always confirmed with a dry-run first."""


class ResourceKind(StrEnum):
    POD = "pods"
    DEPLOYMENT = "deployments"
    REPLICASET = "replicasets"
    STATEFULSET = "statefulsets"
    DAEMONSET = "daemonsets"
    JOB = "jobs"
    CRONJOB = "cronjobs"
    SERVICE = "services"
    INGRESS = "ingresses"
    CONFIGMAP = "configmaps"
    SECRET = "secrets"
    PVC = "persistentvolumeclaims"
    PV = "persistentvolumes"
    NODE = "nodes"
    NAMESPACE = "namespaces"
    EVENT = "events"
    HPA = "horizontalpodautoscalers"
    PDB = "poddisruptionbudgets"
    SERVICE_ACCOUNT = "serviceaccounts"
    STORAGE_CLASS = "storageclasses"
    NETWORK_POLICY = "networkpolicies"

    @property
    def namespaced(self) -> bool:
        return self not in (ResourceKind.NODE, ResourceKind.NAMESPACE, ResourceKind.PV, ResourceKind.STORAGE_CLASS)


class PodStatusFilter(StrEnum):
    FAILING = "failing"
    PENDING = "pending"
    RESTARTING = "restarting"
    NOT_READY = "not_ready"
    RUNNING = "running"
    COMPLETED = "completed"


class TimeWindow(BaseModel):
    """A time range: `since` alone means "from then until now"."""

    model_config = ConfigDict(frozen=True)

    since: datetime
    until: datetime | None = None


def _check_namespace(value: str | None) -> str | None:
    if value is not None and dns1123_label_errors(value):
        raise ValueError(f"'{value}' is not a valid namespace name: {dns1123_label_errors(value)[0]}")
    return value


def _check_name(value: str | None) -> str | None:
    if value is not None and dns1123_subdomain_errors(value):
        raise ValueError(f"'{value}' is not a valid Kubernetes name: {dns1123_subdomain_errors(value)[0]}")
    return value


class Request(BaseModel):
    """Slots every request has: where it applies."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cluster: str | None = None
    """kubeconfig context name; None means the default cluster."""
    all_clusters: bool = False
    namespace: str | None = None
    all_namespaces: bool = False

    _namespace_ok = field_validator("namespace")(_check_namespace)


class ClusterOverviewRequest(Request):
    intent: Literal[Intent.CLUSTER_OVERVIEW] = Intent.CLUSTER_OVERVIEW


class ListResourcesRequest(Request):
    intent: Literal[Intent.LIST_RESOURCES] = Intent.LIST_RESOURCES
    kind: ResourceKind = ResourceKind.POD
    label_selector: str | None = None
    node: str | None = None
    status: PodStatusFilter | None = None
    name_contains: str | None = None
    limit: int | None = Field(default=None, ge=1, le=10_000)
    wide: bool = False

    _node_ok = field_validator("node")(_check_name)


class CountResourcesRequest(ListResourcesRequest):
    intent: Literal[Intent.COUNT_RESOURCES] = Intent.COUNT_RESOURCES  # type: ignore[assignment]


class GetResourceRequest(Request):
    intent: Literal[Intent.GET_RESOURCE] = Intent.GET_RESOURCE
    kind: ResourceKind
    name: str

    _name_ok = field_validator("name")(_check_name)


class DescribeResourceRequest(Request):
    intent: Literal[Intent.DESCRIBE_RESOURCE] = Intent.DESCRIBE_RESOURCE
    kind: ResourceKind
    name: str

    _name_ok = field_validator("name")(_check_name)


class PodLogsRequest(Request):
    intent: Literal[Intent.POD_LOGS] = Intent.POD_LOGS
    name: str
    """A pod, or a workload whose first pod's logs are shown."""
    kind: ResourceKind = ResourceKind.POD
    container: str | None = None
    tail: int = Field(default=50, ge=1, le=10_000)
    previous: bool = False
    grep: str | None = None
    window: TimeWindow | None = None

    _name_ok = field_validator("name")(_check_name)


class TopRequest(Request):
    intent: Literal[Intent.TOP] = Intent.TOP
    kind: Literal[ResourceKind.POD, ResourceKind.NODE] = ResourceKind.POD
    sort_by: Literal["cpu", "memory"] = "cpu"
    limit: int | None = Field(default=None, ge=1, le=10_000)


class NodeStatusRequest(Request):
    intent: Literal[Intent.NODE_STATUS] = Intent.NODE_STATUS
    name: str | None = None

    _name_ok = field_validator("name")(_check_name)


class ListEventsRequest(Request):
    intent: Literal[Intent.LIST_EVENTS] = Intent.LIST_EVENTS
    warnings_only: bool = False
    involved_kind: ResourceKind | None = None
    involved_name: str | None = None
    window: TimeWindow | None = None


class ApiResourcesRequest(Request):
    intent: Literal[Intent.API_RESOURCES] = Intent.API_RESOURCES


class ListClustersRequest(Request):
    intent: Literal[Intent.LIST_CLUSTERS] = Intent.LIST_CLUSTERS


class HelpRequest(Request):
    intent: Literal[Intent.HELP] = Intent.HELP
    topic: str | None = None


class HealthCheckRequest(Request):
    intent: Literal[Intent.HEALTH_CHECK] = Intent.HEALTH_CHECK
    window: TimeWindow | None = None


class DiagnoseRequest(Request):
    intent: Literal[Intent.DIAGNOSE] = Intent.DIAGNOSE
    kind: ResourceKind | None = None
    name: str | None = None

    _name_ok = field_validator("name")(_check_name)


class WhatChangedRequest(Request):
    intent: Literal[Intent.WHAT_CHANGED] = Intent.WHAT_CHANGED
    window: TimeWindow | None = None


class CostReportRequest(Request):
    intent: Literal[Intent.COST_REPORT] = Intent.COST_REPORT
    group_by: Literal["namespace", "workload", "node", "label"] = "namespace"
    label: str | None = None
    window: TimeWindow | None = None


class SecurityAuditRequest(Request):
    intent: Literal[Intent.SECURITY_AUDIT] = Intent.SECURITY_AUDIT
    topic: str | None = None
    """A narrower question ("root", "privileged", "rbac", "secrets"), or None for everything."""


class ScaleRequest(Request):
    intent: Literal[Intent.SCALE] = Intent.SCALE
    kind: ResourceKind = ResourceKind.DEPLOYMENT
    name: str
    replicas: int = Field(ge=0, le=10_000)

    _name_ok = field_validator("name")(_check_name)


class RestartRequest(Request):
    intent: Literal[Intent.RESTART] = Intent.RESTART
    kind: ResourceKind = ResourceKind.DEPLOYMENT
    name: str

    _name_ok = field_validator("name")(_check_name)


class DrainRequest(Request):
    intent: Literal[Intent.DRAIN] = Intent.DRAIN
    node: str

    _node_ok = field_validator("node")(_check_name)


class CordonRequest(Request):
    intent: Literal[Intent.CORDON] = Intent.CORDON
    node: str

    _node_ok = field_validator("node")(_check_name)


class UncordonRequest(Request):
    intent: Literal[Intent.UNCORDON] = Intent.UNCORDON
    node: str

    _node_ok = field_validator("node")(_check_name)


class ProvisionRequest(Request):
    intent: Literal[Intent.PROVISION] = Intent.PROVISION
    resource: str
    """What to provision in plain words: "postgres database", "bucket", "redis cache"."""
    provider: Literal["aws", "gcp", "azure"] | None = None
    name: str | None = None
    size: str | None = None
    region: str | None = None

    _name_ok = field_validator("name")(_check_name)


class ClusterReportRequest(Request):
    intent: Literal[Intent.CLUSTER_REPORT] = Intent.CLUSTER_REPORT


AnyRequest = Annotated[
    ClusterOverviewRequest | ListResourcesRequest | CountResourcesRequest | GetResourceRequest
    | DescribeResourceRequest | PodLogsRequest | TopRequest | NodeStatusRequest | ListEventsRequest
    | ApiResourcesRequest | ListClustersRequest | HelpRequest | HealthCheckRequest | DiagnoseRequest
    | WhatChangedRequest | CostReportRequest | SecurityAuditRequest | ScaleRequest | RestartRequest
    | DrainRequest | CordonRequest | UncordonRequest | ProvisionRequest | ClusterReportRequest,
    Field(discriminator="intent"),
]

REQUEST_MODELS: dict[Intent, type[Request]] = {
    Intent.CLUSTER_OVERVIEW: ClusterOverviewRequest, Intent.LIST_RESOURCES: ListResourcesRequest,
    Intent.COUNT_RESOURCES: CountResourcesRequest, Intent.GET_RESOURCE: GetResourceRequest,
    Intent.DESCRIBE_RESOURCE: DescribeResourceRequest, Intent.POD_LOGS: PodLogsRequest, Intent.TOP: TopRequest,
    Intent.NODE_STATUS: NodeStatusRequest, Intent.LIST_EVENTS: ListEventsRequest,
    Intent.API_RESOURCES: ApiResourcesRequest, Intent.LIST_CLUSTERS: ListClustersRequest, Intent.HELP: HelpRequest,
    Intent.HEALTH_CHECK: HealthCheckRequest, Intent.DIAGNOSE: DiagnoseRequest, Intent.WHAT_CHANGED: WhatChangedRequest,
    Intent.COST_REPORT: CostReportRequest, Intent.SECURITY_AUDIT: SecurityAuditRequest, Intent.SCALE: ScaleRequest,
    Intent.RESTART: RestartRequest, Intent.DRAIN: DrainRequest, Intent.CORDON: CordonRequest,
    Intent.UNCORDON: UncordonRequest, Intent.PROVISION: ProvisionRequest, Intent.CLUSTER_REPORT: ClusterReportRequest,
}
"""The request model of each intent; every Intent has exactly one."""
