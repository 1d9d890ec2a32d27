"""The bootstrap RBAC policy of kube-apiserver: the user-facing ClusterRoles (cluster-admin, admin, edit,
view) and the system roles and bindings that `kubectl auth can-i` and discovery rely on."""

from __future__ import annotations

from collections.abc import Iterator

from kubegenie.sandbox.store import Obj

_BOOTSTRAP_LABELS = {"kubernetes.io/bootstrapping": "rbac-defaults"}
_AUTOUPDATE = {"rbac.authorization.kubernetes.io/autoupdate": "true"}
RBAC = "rbac.authorization.k8s.io/v1"

_READ = ["get", "list", "watch"]
_WRITE = ["create", "delete", "deletecollection", "patch", "update"]

_VIEW_RULES: list[Obj] = [
    {"apiGroups": [""], "resources": ["configmaps", "endpoints", "persistentvolumeclaims",
                                      "persistentvolumeclaims/status", "pods", "replicationcontrollers",
                                      "replicationcontrollers/scale", "serviceaccounts", "services",
                                      "services/status", "bindings", "events", "limitranges",
                                      "namespaces/status", "pods/log", "pods/status",
                                      "replicationcontrollers/status", "resourcequotas",
                                      "resourcequotas/status", "namespaces"], "verbs": _READ},
    {"apiGroups": ["discovery.k8s.io"], "resources": ["endpointslices"], "verbs": _READ},
    {"apiGroups": ["apps"], "resources": ["controllerrevisions", "daemonsets", "daemonsets/status",
                                          "deployments", "deployments/scale", "deployments/status",
                                          "replicasets", "replicasets/scale", "replicasets/status",
                                          "statefulsets", "statefulsets/scale", "statefulsets/status"],
     "verbs": _READ},
    {"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers", "horizontalpodautoscalers/status"],
     "verbs": _READ},
    {"apiGroups": ["batch"], "resources": ["cronjobs", "cronjobs/status", "jobs", "jobs/status"], "verbs": _READ},
    {"apiGroups": ["networking.k8s.io"], "resources": ["ingresses", "ingresses/status", "networkpolicies"],
     "verbs": _READ},
    {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets", "poddisruptionbudgets/status"],
     "verbs": _READ},
    {"apiGroups": ["metrics.k8s.io"], "resources": ["pods", "nodes"], "verbs": _READ},
]

_EDIT_RULES: list[Obj] = [
    {"apiGroups": [""], "resources": ["pods/attach", "pods/exec", "pods/portforward", "pods/proxy", "secrets",
                                      "services/proxy"], "verbs": _READ},
    {"apiGroups": [""], "resources": ["serviceaccounts"], "verbs": ["impersonate"]},
    {"apiGroups": [""], "resources": ["pods", "pods/attach", "pods/exec", "pods/portforward", "pods/proxy"],
     "verbs": _WRITE},
    {"apiGroups": [""], "resources": ["pods/eviction"], "verbs": ["create"]},
    {"apiGroups": [""], "resources": ["configmaps", "events", "persistentvolumeclaims", "replicationcontrollers",
                                      "replicationcontrollers/scale", "secrets", "serviceaccounts", "services",
                                      "services/proxy"], "verbs": _WRITE},
    {"apiGroups": [""], "resources": ["serviceaccounts/token"], "verbs": ["create"]},
    {"apiGroups": ["apps"], "resources": ["daemonsets", "deployments", "deployments/rollback", "deployments/scale",
                                          "replicasets", "replicasets/scale", "statefulsets", "statefulsets/scale"],
     "verbs": _WRITE},
    {"apiGroups": ["autoscaling"], "resources": ["horizontalpodautoscalers"], "verbs": _WRITE},
    {"apiGroups": ["batch"], "resources": ["cronjobs", "jobs"], "verbs": _WRITE},
    {"apiGroups": ["networking.k8s.io"], "resources": ["ingresses", "networkpolicies"], "verbs": _WRITE},
    {"apiGroups": ["policy"], "resources": ["poddisruptionbudgets"], "verbs": _WRITE},
    {"apiGroups": ["coordination.k8s.io"], "resources": ["leases"], "verbs": [*_READ, *_WRITE]},
]

_ADMIN_RULES: list[Obj] = [
    {"apiGroups": ["authorization.k8s.io"], "resources": ["localsubjectaccessreviews"], "verbs": ["create"]},
    {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["rolebindings", "roles"],
     "verbs": [*_READ, *_WRITE]},
]


def _cluster_role(name: str, rules: list[Obj], extra_labels: dict[str, str] | None = None) -> Obj:
    return {"metadata": {"name": name, "labels": {**_BOOTSTRAP_LABELS, **(extra_labels or {})},
                         "annotations": dict(_AUTOUPDATE)}, "rules": rules}


def _binding(name: str, role: str, subjects: list[Obj]) -> Obj:
    return {"metadata": {"name": name, "labels": dict(_BOOTSTRAP_LABELS), "annotations": dict(_AUTOUPDATE)},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": subjects}


def _group(name: str) -> Obj:
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": name}


def bootstrap_policy() -> Iterator[tuple[str, str, Obj]]:
    """(apiVersion, plural, body) of every default ClusterRole and ClusterRoleBinding."""
    yield RBAC, "clusterroles", _cluster_role("cluster-admin", [
        {"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]},
        {"nonResourceURLs": ["*"], "verbs": ["*"]}])
    yield RBAC, "clusterroles", _cluster_role("admin", _ADMIN_RULES + _EDIT_RULES + _VIEW_RULES)
    yield RBAC, "clusterroles", _cluster_role("edit", _EDIT_RULES + _VIEW_RULES,
                                              {"rbac.authorization.k8s.io/aggregate-to-admin": "true"})
    yield RBAC, "clusterroles", _cluster_role("view", _VIEW_RULES,
                                              {"rbac.authorization.k8s.io/aggregate-to-edit": "true"})
    yield RBAC, "clusterroles", _cluster_role("system:discovery", [
        {"nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi",
                             "/openapi/*", "/readyz", "/version", "/version/"], "verbs": ["get"]}])
    yield RBAC, "clusterroles", _cluster_role("system:basic-user", [
        {"apiGroups": ["authorization.k8s.io"], "resources": ["selfsubjectaccessreviews",
                                                              "selfsubjectrulesreviews"], "verbs": ["create"]},
        {"apiGroups": ["authentication.k8s.io"], "resources": ["selfsubjectreviews"], "verbs": ["create"]}])
    yield RBAC, "clusterroles", _cluster_role("system:public-info-viewer", [
        {"nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"], "verbs": ["get"]}])
    yield RBAC, "clusterrolebindings", _binding("cluster-admin", "cluster-admin", [_group("system:masters")])
    yield RBAC, "clusterrolebindings", _binding("system:discovery", "system:discovery",
                                                [_group("system:authenticated")])
    yield RBAC, "clusterrolebindings", _binding("system:basic-user", "system:basic-user",
                                                [_group("system:authenticated")])
    yield RBAC, "clusterrolebindings", _binding("system:public-info-viewer", "system:public-info-viewer",
                                                [_group("system:authenticated"), _group("system:unauthenticated")])
