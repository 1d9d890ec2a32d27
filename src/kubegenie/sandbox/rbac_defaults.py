"""The bootstrap RBAC policy of kube-apiserver (plugin/pkg/auth/authorizer/rbac/bootstrappolicy): the
user-facing ClusterRoles, aggregated the way upstream builds them (admin, edit and view gather the rules of
the system:aggregate-to-* roles), and the system roles and bindings discovery and self-reviews rely on.
"""

from __future__ import annotations

from collections.abc import Iterator

from kubegenie.sandbox.store import Obj

_BOOTSTRAP_LABELS = {"kubernetes.io/bootstrapping": "rbac-defaults"}
_AUTOUPDATE = {"rbac.authorization.kubernetes.io/autoupdate": "true"}
RBAC = "rbac.authorization.k8s.io/v1"
AGGREGATE_TO = "rbac.authorization.k8s.io/aggregate-to-"

_READ = ["get", "list", "watch"]
_WRITE = ["create", "delete", "deletecollection", "patch", "update"]


def _rule(verbs: list[str], group: str, *resources: str) -> Obj:
    return {"verbs": list(verbs), "apiGroups": [group], "resources": list(resources)}


_VIEW_RULES: list[Obj] = [
    _rule(_READ, "", "pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services",
          "services/status", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "configmaps"),
    _rule(_READ, "", "limitranges", "resourcequotas", "bindings", "events", "pods/status", "resourcequotas/status",
          "namespaces/status", "replicationcontrollers/status", "pods/log"),
    # Read access to namespaces at the namespace scope tells a user which namespaces they can use.
    _rule(_READ, "", "namespaces"),
    _rule(_READ, "discovery.k8s.io", "endpointslices"),
    _rule(_READ, "apps", "controllerrevisions", "statefulsets", "statefulsets/scale", "statefulsets/status",
          "daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status",
          "replicasets", "replicasets/scale", "replicasets/status"),
    _rule(_READ, "autoscaling", "horizontalpodautoscalers", "horizontalpodautoscalers/status"),
    _rule(_READ, "batch", "jobs", "cronjobs", "cronjobs/status", "jobs/status"),
    _rule(_READ, "extensions", "daemonsets", "daemonsets/status", "deployments", "deployments/scale",
          "deployments/status", "ingresses", "ingresses/status", "replicasets", "replicasets/scale",
          "replicasets/status", "replicationcontrollers/scale", "networkpolicies"),
    _rule(_READ, "policy", "poddisruptionbudgets", "poddisruptionbudgets/status"),
    _rule(_READ, "networking.k8s.io", "networkpolicies", "ingresses", "ingresses/status"),
]

_EDIT_RULES: list[Obj] = [
    # Read on resources that can escalate privileges.
    _rule(_READ, "", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets", "services/proxy"),
    _rule(["impersonate"], "", "serviceaccounts"),
    _rule(_WRITE, "", "pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward"),
    _rule(["create"], "", "pods/eviction"),
    _rule(_WRITE, "", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services",
          "services/proxy", "persistentvolumeclaims", "configmaps", "secrets", "events"),
    _rule(["create"], "", "serviceaccounts/token"),
    _rule(_WRITE, "apps", "statefulsets", "statefulsets/scale", "daemonsets", "deployments", "deployments/scale",
          "deployments/rollback", "replicasets", "replicasets/scale"),
    _rule(_WRITE, "autoscaling", "horizontalpodautoscalers"),
    _rule(_WRITE, "batch", "jobs", "cronjobs"),
    _rule(_WRITE, "extensions", "daemonsets", "deployments", "deployments/scale", "deployments/rollback",
          "ingresses", "replicasets", "replicasets/scale", "replicationcontrollers/scale", "networkpolicies"),
    _rule(_WRITE, "policy", "poddisruptionbudgets"),
    _rule(_WRITE, "networking.k8s.io", "networkpolicies", "ingresses"),
    _rule([*_READ, *_WRITE], "coordination.k8s.io", "leases"),
]

_ADMIN_RULES: list[Obj] = [
    _rule(["create"], "authorization.k8s.io", "localsubjectaccessreviews"),
    _rule([*_READ, *_WRITE], "rbac.authorization.k8s.io", "roles", "rolebindings"),
]

_METRICS_READER_RULES: list[Obj] = [_rule(_READ, "metrics.k8s.io", "pods", "nodes")]
"""metrics-server's system:aggregated-metrics-reader; the sandbox serves metrics.k8s.io as if it were installed."""


def _cluster_role(name: str, rules: list[Obj] | None = None, labels: dict[str, str] | None = None,
                  aggregate_from: str | None = None) -> Obj:
    role: Obj = {"metadata": {"name": name, "labels": {**_BOOTSTRAP_LABELS, **(labels or {})},
                              "annotations": dict(_AUTOUPDATE)}}
    if aggregate_from is not None:
        role["aggregationRule"] = {"clusterRoleSelectors": [{"matchLabels": {AGGREGATE_TO + aggregate_from: "true"}}]}
    role["rules"] = rules or []
    return role


def _aggregates_to(*targets: str) -> dict[str, str]:
    return {AGGREGATE_TO + target: "true" for target in targets}


def _binding(name: str, role: str, subjects: list[Obj]) -> Obj:
    return {"metadata": {"name": name, "labels": dict(_BOOTSTRAP_LABELS), "annotations": dict(_AUTOUPDATE)},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": role},
            "subjects": subjects}


def _group(name: str) -> Obj:
    return {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": name}


def bootstrap_policy() -> Iterator[tuple[str, str, Obj]]:
    """(apiVersion, plural, body) of every default ClusterRole and ClusterRoleBinding."""
    yield RBAC, "clusterroles", _cluster_role("cluster-admin", [
        {"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]},
        {"verbs": ["*"], "nonResourceURLs": ["*"]}])
    yield RBAC, "clusterroles", _cluster_role("admin", aggregate_from="admin")
    yield RBAC, "clusterroles", _cluster_role("edit", labels=_aggregates_to("admin"), aggregate_from="edit")
    yield RBAC, "clusterroles", _cluster_role("view", labels=_aggregates_to("edit"), aggregate_from="view")
    yield RBAC, "clusterroles", _cluster_role("system:aggregate-to-admin", _ADMIN_RULES, _aggregates_to("admin"))
    yield RBAC, "clusterroles", _cluster_role("system:aggregate-to-edit", _EDIT_RULES, _aggregates_to("edit"))
    yield RBAC, "clusterroles", _cluster_role("system:aggregate-to-view", _VIEW_RULES, _aggregates_to("view"))
    yield RBAC, "clusterroles", {**_cluster_role("system:aggregated-metrics-reader", _METRICS_READER_RULES,
                                                 _aggregates_to("admin", "edit", "view")),
                                 "metadata": {"name": "system:aggregated-metrics-reader",
                                              "labels": _aggregates_to("admin", "edit", "view")}}
    yield RBAC, "clusterroles", _cluster_role("system:discovery", [
        {"verbs": ["get"], "nonResourceURLs": ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez",
                                               "/openapi", "/openapi/*", "/readyz", "/version", "/version/"]}])
    yield RBAC, "clusterroles", _cluster_role("system:basic-user", [
        _rule(["create"], "authorization.k8s.io", "selfsubjectaccessreviews", "selfsubjectrulesreviews"),
        _rule(["create"], "authentication.k8s.io", "selfsubjectreviews")])
    yield RBAC, "clusterroles", _cluster_role("system:public-info-viewer", [
        {"verbs": ["get"], "nonResourceURLs": ["/healthz", "/livez", "/readyz", "/version", "/version/"]}])
    yield RBAC, "clusterroles", _cluster_role("system:auth-delegator", [
        _rule(["create"], "authentication.k8s.io", "tokenreviews"),
        _rule(["create"], "authorization.k8s.io", "subjectaccessreviews")])
    yield RBAC, "clusterrolebindings", _binding("cluster-admin", "cluster-admin", [_group("system:masters")])
    # kubeadm (1.29+) binds its admin kubeconfig's group instead of putting it in system:masters alone.
    yield RBAC, "clusterrolebindings", {**_binding("kubeadm:cluster-admins", "cluster-admin",
                                                   [_group("kubeadm:cluster-admins")]),
                                        "metadata": {"name": "kubeadm:cluster-admins"}}
    yield RBAC, "clusterrolebindings", _binding("system:discovery", "system:discovery",
                                                [_group("system:authenticated")])
    yield RBAC, "clusterrolebindings", _binding("system:basic-user", "system:basic-user",
                                                [_group("system:authenticated")])
    yield RBAC, "clusterrolebindings", _binding("system:public-info-viewer", "system:public-info-viewer",
                                                [_group("system:authenticated"), _group("system:unauthenticated")])
