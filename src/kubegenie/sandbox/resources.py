"""The resource types the sandbox serves: group, version, kind, names, scope, verbs and subresources.

Built-in types are a fixed table; custom resources are added and removed at run time from CRDs.
Nothing here stores objects or speaks HTTP.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

READ_VERBS = ("get", "list", "watch")
ALL_VERBS = ("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch")
NAMESPACE_VERBS = ("create", "delete", "get", "list", "patch", "update", "watch")
CREATE_ONLY = ("create",)
GET_UPDATE_PATCH = ("get", "patch", "update")


@dataclass(frozen=True)
class Subresource:
    """A subresource such as `pods/log` or `deployments/scale`; kind/group/version of its own body."""

    name: str
    kind: str
    verbs: tuple[str, ...]
    group: str | None = None
    version: str | None = None


@dataclass(frozen=True)
class ResourceType:
    """One served resource at one group-version."""

    group: str
    version: str
    kind: str
    plural: str
    singular: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    subresources: tuple[Subresource, ...] = ()
    storage_group: str | None = None
    """Group whose objects this type shares (events.k8s.io/v1 reads core/v1 events)."""
    stored: bool = True
    """False for virtual types (reviews, metrics) that are answered but never stored."""
    custom: bool = False

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def group_version(self) -> str:
        return self.api_version

    @property
    def list_kind(self) -> str:
        return f"{self.kind}List"

    @property
    def storage_key(self) -> str:
        """Version-independent key of the objects' storage, e.g. "apps/deployments" or "pods"."""
        group = self.group if self.storage_group is None else self.storage_group
        return f"{group}/{self.plural}" if group else self.plural

    @property
    def qualified(self) -> str:
        """`plural[.group]`, as API messages name a resource ("deployments.apps")."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    def subresource(self, name: str) -> Subresource | None:
        return next((sub for sub in self.subresources if sub.name == name), None)


def _status(kind: str) -> Subresource:
    return Subresource("status", kind, GET_UPDATE_PATCH)


_SCALE = Subresource("scale", "Scale", GET_UPDATE_PATCH, group="autoscaling", version="v1")

BUILTIN_TYPES: tuple[ResourceType, ...] = (
    # core/v1
    ResourceType("", "v1", "Binding", "bindings", "binding", True, verbs=CREATE_ONLY, stored=False),
    ResourceType("", "v1", "ComponentStatus", "componentstatuses", "componentstatus", False,
                 short_names=("cs",), verbs=("get", "list"), stored=False),
    ResourceType("", "v1", "ConfigMap", "configmaps", "configmap", True, short_names=("cm",)),
    ResourceType("", "v1", "Endpoints", "endpoints", "endpoints", True, short_names=("ep",)),
    ResourceType("", "v1", "Event", "events", "event", True, short_names=("ev",)),
    ResourceType("", "v1", "LimitRange", "limitranges", "limitrange", True, short_names=("limits",)),
    ResourceType("", "v1", "Namespace", "namespaces", "namespace", False, short_names=("ns",),
                 verbs=NAMESPACE_VERBS,
                 subresources=(Subresource("finalize", "Namespace", ("update",)), _status("Namespace"))),
    ResourceType("", "v1", "Node", "nodes", "node", False, short_names=("no",),
                 subresources=(Subresource("proxy", "NodeProxyOptions", ("create", "delete", "get", "patch",
                                                                          "update")), _status("Node"))),
    ResourceType("", "v1", "PersistentVolumeClaim", "persistentvolumeclaims", "persistentvolumeclaim", True,
                 short_names=("pvc",), subresources=(_status("PersistentVolumeClaim"),)),
    ResourceType("", "v1", "PersistentVolume", "persistentvolumes", "persistentvolume", False,
                 short_names=("pv",), subresources=(_status("PersistentVolume"),)),
    ResourceType("", "v1", "Pod", "pods", "pod", True, short_names=("po",), categories=("all",),
                 subresources=(
                     Subresource("binding", "Binding", CREATE_ONLY),
                     Subresource("eviction", "Eviction", CREATE_ONLY, group="policy", version="v1"),
                     Subresource("log", "Pod", ("get",)),
                     _status("Pod"),
                 )),
    ResourceType("", "v1", "PodTemplate", "podtemplates", "podtemplate", True),
    ResourceType("", "v1", "ReplicationController", "replicationcontrollers", "replicationcontroller", True,
                 short_names=("rc",), categories=("all",),
                 subresources=(_SCALE, _status("ReplicationController"))),
    ResourceType("", "v1", "ResourceQuota", "resourcequotas", "resourcequota", True, short_names=("quota",),
                 subresources=(_status("ResourceQuota"),)),
    ResourceType("", "v1", "Secret", "secrets", "secret", True),
    ResourceType("", "v1", "ServiceAccount", "serviceaccounts", "serviceaccount", True, short_names=("sa",),
                 subresources=(Subresource("token", "TokenRequest", CREATE_ONLY, group="authentication.k8s.io",
                                           version="v1"),)),
    ResourceType("", "v1", "Service", "services", "service", True, short_names=("svc",), categories=("all",),
                 subresources=(_status("Service"),)),
    # admissionregistration.k8s.io/v1
    ResourceType("admissionregistration.k8s.io", "v1", "MutatingWebhookConfiguration",
                 "mutatingwebhookconfigurations", "mutatingwebhookconfiguration", False,
                 categories=("api-extensions",)),
    ResourceType("admissionregistration.k8s.io", "v1", "ValidatingWebhookConfiguration",
                 "validatingwebhookconfigurations", "validatingwebhookconfiguration", False,
                 categories=("api-extensions",)),
    # apiextensions.k8s.io/v1
    ResourceType("apiextensions.k8s.io", "v1", "CustomResourceDefinition", "customresourcedefinitions",
                 "customresourcedefinition", False, short_names=("crd", "crds"), categories=("api-extensions",),
                 subresources=(_status("CustomResourceDefinition"),)),
    # apps/v1
    ResourceType("apps", "v1", "ControllerRevision", "controllerrevisions", "controllerrevision", True),
    ResourceType("apps", "v1", "DaemonSet", "daemonsets", "daemonset", True, short_names=("ds",),
                 categories=("all",), subresources=(_status("DaemonSet"),)),
    ResourceType("apps", "v1", "Deployment", "deployments", "deployment", True, short_names=("deploy",),
                 categories=("all",), subresources=(_SCALE, _status("Deployment"))),
    ResourceType("apps", "v1", "ReplicaSet", "replicasets", "replicaset", True, short_names=("rs",),
                 categories=("all",), subresources=(_SCALE, _status("ReplicaSet"))),
    ResourceType("apps", "v1", "StatefulSet", "statefulsets", "statefulset", True, short_names=("sts",),
                 categories=("all",), subresources=(_SCALE, _status("StatefulSet"))),
    # authentication.k8s.io
    ResourceType("authentication.k8s.io", "v1", "SelfSubjectReview", "selfsubjectreviews", "selfsubjectreview",
                 False, verbs=CREATE_ONLY, stored=False),
    ResourceType("authentication.k8s.io", "v1", "TokenReview", "tokenreviews", "tokenreview", False,
                 verbs=CREATE_ONLY, stored=False),
    ResourceType("authentication.k8s.io", "v1beta1", "SelfSubjectReview", "selfsubjectreviews",
                 "selfsubjectreview", False, verbs=CREATE_ONLY, stored=False),
    # authorization.k8s.io/v1
    ResourceType("authorization.k8s.io", "v1", "LocalSubjectAccessReview", "localsubjectaccessreviews",
                 "localsubjectaccessreview", True, verbs=CREATE_ONLY, stored=False),
    ResourceType("authorization.k8s.io", "v1", "SelfSubjectAccessReview", "selfsubjectaccessreviews",
                 "selfsubjectaccessreview", False, verbs=CREATE_ONLY, stored=False),
    ResourceType("authorization.k8s.io", "v1", "SelfSubjectRulesReview", "selfsubjectrulesreviews",
                 "selfsubjectrulesreview", False, verbs=CREATE_ONLY, stored=False),
    ResourceType("authorization.k8s.io", "v1", "SubjectAccessReview", "subjectaccessreviews",
                 "subjectaccessreview", False, verbs=CREATE_ONLY, stored=False),
    # autoscaling
    ResourceType("autoscaling", "v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers",
                 "horizontalpodautoscaler", True, short_names=("hpa",), categories=("all",),
                 subresources=(_status("HorizontalPodAutoscaler"),)),
    ResourceType("autoscaling", "v1", "HorizontalPodAutoscaler", "horizontalpodautoscalers",
                 "horizontalpodautoscaler", True, short_names=("hpa",), categories=("all",),
                 subresources=(_status("HorizontalPodAutoscaler"),)),
    # batch/v1
    ResourceType("batch", "v1", "CronJob", "cronjobs", "cronjob", True, short_names=("cj",), categories=("all",),
                 subresources=(_status("CronJob"),)),
    ResourceType("batch", "v1", "Job", "jobs", "job", True, categories=("all",), subresources=(_status("Job"),)),
    # coordination.k8s.io/v1
    ResourceType("coordination.k8s.io", "v1", "Lease", "leases", "lease", True),
    # discovery.k8s.io/v1
    ResourceType("discovery.k8s.io", "v1", "EndpointSlice", "endpointslices", "endpointslice", True),
    # events.k8s.io/v1 shares the core events storage.
    ResourceType("events.k8s.io", "v1", "Event", "events", "event", True, short_names=("ev",), storage_group=""),
    # metrics.k8s.io/v1beta1 is computed, never stored.
    ResourceType("metrics.k8s.io", "v1beta1", "NodeMetrics", "nodes", "", False, verbs=("get", "list"),
                 stored=False),
    ResourceType("metrics.k8s.io", "v1beta1", "PodMetrics", "pods", "", True, verbs=("get", "list"),
                 stored=False),
    # networking.k8s.io/v1
    ResourceType("networking.k8s.io", "v1", "IngressClass", "ingressclasses", "ingressclass", False),
    ResourceType("networking.k8s.io", "v1", "Ingress", "ingresses", "ingress", True, short_names=("ing",),
                 subresources=(_status("Ingress"),)),
    ResourceType("networking.k8s.io", "v1", "NetworkPolicy", "networkpolicies", "networkpolicy", True,
                 short_names=("netpol",)),
    # node.k8s.io/v1
    ResourceType("node.k8s.io", "v1", "RuntimeClass", "runtimeclasses", "runtimeclass", False),
    # policy/v1
    ResourceType("policy", "v1", "PodDisruptionBudget", "poddisruptionbudgets", "poddisruptionbudget", True,
                 short_names=("pdb",), subresources=(_status("PodDisruptionBudget"),)),
    # rbac.authorization.k8s.io/v1
    ResourceType("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding", "clusterrolebindings",
                 "clusterrolebinding", False),
    ResourceType("rbac.authorization.k8s.io", "v1", "ClusterRole", "clusterroles", "clusterrole", False),
    ResourceType("rbac.authorization.k8s.io", "v1", "RoleBinding", "rolebindings", "rolebinding", True),
    ResourceType("rbac.authorization.k8s.io", "v1", "Role", "roles", "role", True),
    # scheduling.k8s.io/v1
    ResourceType("scheduling.k8s.io", "v1", "PriorityClass", "priorityclasses", "priorityclass", False,
                 short_names=("pc",)),
    # storage.k8s.io/v1
    ResourceType("storage.k8s.io", "v1", "CSIDriver", "csidrivers", "csidriver", False),
    ResourceType("storage.k8s.io", "v1", "StorageClass", "storageclasses", "storageclass", False,
                 short_names=("sc",)),
    ResourceType("storage.k8s.io", "v1", "VolumeAttachment", "volumeattachments", "volumeattachment", False,
                 subresources=(_status("VolumeAttachment"),)),
)

# Preferred version per group, as discovery reports it (the first listed is preferred).
GROUP_VERSIONS: dict[str, tuple[str, ...]] = {
    "autoscaling": ("v2", "v1"),
    "authentication.k8s.io": ("v1", "v1beta1"),
}


@dataclass
class ResourceRegistry:
    """Every type the server serves now; CRDs add and remove entries at run time."""

    _types: dict[tuple[str, str, str], ResourceType] = field(default_factory=dict)
    generation: int = 0
    """Bumped on every change, so discovery and OpenAPI caches know when to rebuild."""

    @classmethod
    def builtin(cls) -> ResourceRegistry:
        registry = cls()
        for rtype in BUILTIN_TYPES:
            registry.add(rtype)
        return registry

    def add(self, rtype: ResourceType) -> None:
        self._types[(rtype.group, rtype.version, rtype.plural)] = rtype
        self.generation += 1

    def remove_group_resource(self, group: str, plural: str) -> None:
        for key in [key for key in self._types if key[0] == group and key[2] == plural]:
            del self._types[key]
        self.generation += 1

    def lookup(self, group: str, version: str, plural: str) -> ResourceType | None:
        return self._types.get((group, version, plural))

    def __iter__(self) -> Iterator[ResourceType]:
        return iter(self._types.values())

    def by_kind(self, group: str, version: str, kind: str) -> ResourceType | None:
        return next((t for t in self._types.values()
                     if t.group == group and t.version == version and t.kind == kind), None)

    def stored_by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        group, _, version = api_version.rpartition("/")
        return self.by_kind(group, version, kind)

    def group_versions(self) -> dict[str, list[str]]:
        """Group -> versions, preferred first, core group "" included."""
        found: dict[str, list[str]] = {}
        for rtype in self._types.values():
            versions = found.setdefault(rtype.group, [])
            if rtype.version not in versions:
                versions.append(rtype.version)
        for group, versions in found.items():
            order = GROUP_VERSIONS.get(group)
            if order:
                versions.sort(key=lambda v: order.index(v) if v in order else len(order))
            else:
                versions.sort(key=_version_priority)
        return found

    def in_group_version(self, group: str, version: str) -> list[ResourceType]:
        return sorted((t for t in self._types.values() if t.group == group and t.version == version),
                      key=lambda t: t.plural)

    def versions_of(self, storage_key: str) -> Iterable[ResourceType]:
        return (t for t in self._types.values() if t.storage_key == storage_key)


def _version_priority(version: str) -> tuple[int, int, int]:
    """Kubernetes version ordering: GA before beta before alpha, higher numbers first."""
    match = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if not match:
        return (3, 0, 0)
    major = int(match.group(1))
    stage = {"": 0, None: 0, "beta": 1, "alpha": 2}[match.group(2)]
    minor = int(match.group(3) or 0)
    return (stage, -major, -minor)
