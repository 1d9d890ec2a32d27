"""The RBAC authorizer against upstream semantics: resourceNames, subresources, wildcards, non-resource URLs,
subjects, reasons and Forbidden messages, and ClusterRole aggregation kept current by its controller."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from kubegenie.sandbox import bootstrap
from kubegenie.sandbox.authorization import Attributes, forbidden
from kubegenie.sandbox.cluster import Cluster
from kubegenie.sandbox.identity import Identity, service_account

RBAC = "rbac.authorization.k8s.io/v1"
JANE = Identity("jane", ("devs", "system:authenticated"))


@pytest.fixture
async def cluster() -> Cluster:
    created = Cluster("rbac")
    await bootstrap.bootstrap(created)
    bootstrap.create(created, "v1", "namespaces", "", {"metadata": {"name": "team-a"}})
    bootstrap.create(created, "v1", "namespaces", "", {"metadata": {"name": "team-b"}})
    return created


def role(cluster: Cluster, name: str, rules: list[dict[str, Any]], namespace: str = "",
         labels: dict[str, str] | None = None) -> None:
    body: dict[str, Any] = {"metadata": {"name": name, "labels": labels or {}}, "rules": rules}
    bootstrap.create(cluster, RBAC, "roles" if namespace else "clusterroles", namespace, body)


def bind(cluster: Cluster, name: str, role_kind: str, role_name: str, subjects: list[dict[str, str]],
         namespace: str = "") -> None:
    bootstrap.create(cluster, RBAC, "rolebindings" if namespace else "clusterrolebindings", namespace, {
        "metadata": {"name": name}, "subjects": subjects,
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role_name}})


def user(name: str) -> dict[str, str]:
    return {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": name}


def allowed(cluster: Cluster, identity: Identity, verb: str, resource: str = "", namespace: str = "",
            name: str = "", group: str = "", subresource: str = "", path: str = "") -> bool:
    attrs = Attributes(verb, group, "v1", resource, subresource, namespace, name, path)
    return cluster.authorizer.authorize(identity, attrs).allowed


async def test_resource_names_limit_named_requests_only(cluster: Cluster) -> None:
    role(cluster, "web-only", [{"verbs": ["get", "list", "create"], "apiGroups": [""], "resources": ["pods"],
                                "resourceNames": ["web"]}], "team-a")
    bind(cluster, "web-only", "Role", "web-only", [user("jane")], "team-a")
    assert allowed(cluster, JANE, "get", "pods", "team-a", "web")
    assert not allowed(cluster, JANE, "get", "pods", "team-a", "db")
    assert not allowed(cluster, JANE, "list", "pods", "team-a")
    assert not allowed(cluster, JANE, "create", "pods", "team-a")
    assert not allowed(cluster, JANE, "get", "pods", "team-b", "web")


async def test_subresources_and_wildcards(cluster: Cluster) -> None:
    role(cluster, "mixed", [
        {"verbs": ["get"], "apiGroups": [""], "resources": ["pods/log"]},
        {"verbs": ["update"], "apiGroups": ["apps"], "resources": ["*/scale"]},
        {"verbs": ["*"], "apiGroups": ["batch"], "resources": ["*"]},
        {"verbs": ["watch"], "apiGroups": ["*"], "resources": ["leases"]}])
    bind(cluster, "mixed", "ClusterRole", "mixed", [user("jane")])
    assert allowed(cluster, JANE, "get", "pods", "team-a", "web", subresource="log")
    assert not allowed(cluster, JANE, "get", "pods", "team-a", "web")
    assert not allowed(cluster, JANE, "get", "pods", "team-a", "web", subresource="exec")
    assert allowed(cluster, JANE, "update", "deployments", "team-a", "web", "apps", "scale")
    assert allowed(cluster, JANE, "update", "statefulsets", "team-a", "db", "apps", "scale")
    assert not allowed(cluster, JANE, "update", "deployments", "team-a", "web", "apps")
    assert not allowed(cluster, JANE, "update", "deployments", "team-a", "web", "", "scale")
    assert allowed(cluster, JANE, "deletecollection", "jobs", "team-b", group="batch")
    assert allowed(cluster, JANE, "patch", "cronjobs", "team-b", "tick", "batch", "status")
    assert allowed(cluster, JANE, "watch", "leases", group="coordination.k8s.io")
    assert not allowed(cluster, JANE, "get", "leases", group="coordination.k8s.io")


async def test_non_resource_urls(cluster: Cluster) -> None:
    role(cluster, "urls", [{"verbs": ["get"], "nonResourceURLs": ["/logs/*", "/debug"]},
                           {"verbs": ["get"], "apiGroups": ["*"], "resources": ["*"]}])
    bind(cluster, "urls", "ClusterRole", "urls", [user("jane")])
    assert allowed(cluster, JANE, "get", path="/logs/")
    assert allowed(cluster, JANE, "get", path="/logs/kubelet/today")
    assert not allowed(cluster, JANE, "get", path="/logs")
    assert allowed(cluster, JANE, "get", path="/debug")
    assert not allowed(cluster, JANE, "get", path="/debug/pprof")
    assert not allowed(cluster, JANE, "post", path="/logs/x")
    assert allowed(cluster, JANE, "get", path="/version")  # system:public-info-viewer via system:authenticated
    assert not allowed(cluster, Identity("nobody"), "get", path="/version")


async def test_subjects_and_binding_scope(cluster: Cluster) -> None:
    robot, other = service_account("team-a", "robot"), service_account("team-b", "robot")
    bind(cluster, "robots", "ClusterRole", "view", [{"kind": "ServiceAccount", "name": "robot"}], "team-a")
    bind(cluster, "unqualified", "ClusterRole", "cluster-admin", [{"kind": "ServiceAccount", "name": "robot"}])
    bind(cluster, "devs", "ClusterRole", "edit", [{"kind": "Group", "apiGroup": "rbac.authorization.k8s.io",
                                                   "name": "devs"}], "team-b")
    assert allowed(cluster, robot, "list", "pods", "team-a")
    assert not allowed(cluster, other, "list", "pods", "team-a")
    assert not allowed(cluster, robot, "list", "pods", "team-b")
    assert not allowed(cluster, robot, "list", "nodes")  # a ClusterRoleBinding subject needs its namespace
    assert allowed(cluster, JANE, "delete", "pods", "team-b")
    assert not allowed(cluster, JANE, "delete", "pods", "team-a")
    assert not allowed(cluster, JANE, "list", "pods")  # all namespaces is the cluster scope


async def test_reasons(cluster: Cluster) -> None:
    bind(cluster, "readers", "ClusterRole", "view", [{"kind": "ServiceAccount", "name": "robot"}], "team-a")
    bind(cluster, "nodes", "ClusterRole", "node-reader", [user("jane")])
    bind(cluster, "local", "Role", "missing", [user("jane")], "team-a")
    role(cluster, "node-reader", [{"verbs": ["get"], "apiGroups": [""], "resources": ["nodes"]}])
    robot = service_account("team-a", "robot")
    assert cluster.authorizer.authorize(robot, Attributes("get", "", "v1", "pods", "", "team-a", "x")).reason == \
        'RBAC: allowed by RoleBinding "readers/team-a" of ClusterRole "view" to ServiceAccount "robot/team-a"'
    assert cluster.authorizer.authorize(JANE, Attributes("get", "", "v1", "nodes", name="n1")).reason == \
        'RBAC: allowed by ClusterRoleBinding "nodes" of ClusterRole "node-reader" to User "jane"'
    bind(cluster, "gone", "ClusterRole", "gone", [user("jane")])
    denied = cluster.authorizer.authorize(JANE, Attributes("delete", "", "v1", "pods", "", "team-a"))
    assert not denied.allowed
    assert denied.reason == 'RBAC: [clusterrole.rbac.authorization.k8s.io "gone" not found, ' \
                            'role.rbac.authorization.k8s.io "missing" not found]'
    rules = cluster.authorizer.rules_for(JANE, "team-a")
    assert {"verbs": ["get"], "apiGroups": [""], "resources": ["nodes"]} in rules.resource_rules
    assert rules.evaluation_error == denied.reason.removeprefix("RBAC: ")


async def test_superusers_skip_rbac(cluster: Cluster) -> None:
    root = Identity("root", ("system:masters",))
    assert cluster.authorizer.authorize(root, Attributes("impersonate", resource="users", name="x")).allowed
    assert cluster.authorizer.authorize(root, Attributes("get", path="/anything")).reason == ""


def test_forbidden_messages() -> None:
    cases = [
        (Attributes("delete", "", "v1", "pods", "", "default", "web"),
         'pods "web" is forbidden: User "jane" cannot delete resource "pods" in API group "" in the namespace '
         '"default"', {"name": "web", "kind": "pods"}),
        (Attributes("list", "", "v1", "pods", "", "default"),
         'pods is forbidden: User "jane" cannot list resource "pods" in API group "" in the namespace "default"',
         {"kind": "pods"}),
        (Attributes("list", "apps", "v1", "deployments"),
         'deployments.apps is forbidden: User "jane" cannot list resource "deployments" in API group "apps" at '
         "the cluster scope", {"group": "apps", "kind": "deployments"}),
        (Attributes("get", "", "v1", "pods", "log", "default", "web"),
         'pods "web" is forbidden: User "jane" cannot get resource "pods/log" in API group "" in the namespace '
         '"default"', {"name": "web", "kind": "pods"}),
        (Attributes("get", path="/logs"), 'forbidden: User "jane" cannot get path "/logs"', {}),
    ]
    for attrs, message, details in cases:
        error = forbidden(JANE, attrs)
        assert (error.code, error.reason, error.message, error.details) == (403, "Forbidden", message, details)
    with_reason = forbidden(JANE, cases[1][0], 'RBAC: role.rbac.authorization.k8s.io "x" not found')
    assert with_reason.message == cases[1][1] + ': RBAC: role.rbac.authorization.k8s.io "x" not found'


# --- aggregation -----------------------------------------------------------------------------------------


def rules_of(cluster: Cluster, name: str) -> list[dict[str, Any]]:
    found = cluster.store.get("rbac.authorization.k8s.io/clusterroles", "", name)
    assert found is not None
    return list(found.get("rules") or [])


async def test_bootstrap_roles_are_aggregated_like_upstream(cluster: Cluster) -> None:
    view, edit, admin = rules_of(cluster, "view"), rules_of(cluster, "edit"), rules_of(cluster, "admin")
    expected_view = rules_of(cluster, "system:aggregate-to-view") + rules_of(cluster,
                                                                             "system:aggregated-metrics-reader")
    assert view == expected_view
    assert all(rule in edit for rule in view) and all(rule in admin for rule in edit)
    assert {"verbs": ["create"], "apiGroups": [""], "resources": ["serviceaccounts/token"]} in edit
    assert {"verbs": ["create"], "apiGroups": ["authorization.k8s.io"],
            "resources": ["localsubjectaccessreviews"]} in admin
    assert not any("secrets" in rule.get("resources", []) for rule in view)
    entry = cluster.store.get("rbac.authorization.k8s.io/clusterroles", "", "view")
    assert entry is not None
    assert entry["aggregationRule"] == {"clusterRoleSelectors": [
        {"matchLabels": {"rbac.authorization.k8s.io/aggregate-to-view": "true"}}]}


async def test_aggregation_follows_labels_and_rules(cluster: Cluster) -> None:
    widgets = {"verbs": ["get", "list", "watch"], "apiGroups": ["example.com"], "resources": ["widgets"]}
    bind(cluster, "jane-view", "ClusterRole", "view", [user("jane")], "team-a")
    assert not allowed(cluster, JANE, "list", "widgets", "team-a", group="example.com")
    role(cluster, "widget-reader", [widgets], labels={"rbac.authorization.k8s.io/aggregate-to-view": "true"})
    await asyncio.sleep(0)
    assert widgets in rules_of(cluster, "view") and widgets in rules_of(cluster, "admin")
    assert allowed(cluster, JANE, "list", "widgets", "team-a", group="example.com")

    current = cluster.store.get("rbac.authorization.k8s.io/clusterroles", "", "widget-reader")
    assert current is not None
    rtype = cluster.registry.lookup("rbac.authorization.k8s.io", "v1", "clusterroles")
    assert rtype is not None
    from kubegenie.sandbox.objects import WriteOptions

    wider = {**widgets, "verbs": ["*"]}
    cluster.objects.update(rtype, "", "widget-reader", {**current, "rules": [wider]}, WriteOptions())
    await asyncio.sleep(0)
    assert wider in rules_of(cluster, "edit") and widgets not in rules_of(cluster, "edit")

    current = cluster.store.get("rbac.authorization.k8s.io/clusterroles", "", "widget-reader")
    assert current is not None
    unlabelled = {**current, "metadata": {**current["metadata"], "labels": {}}}
    cluster.objects.update(rtype, "", "widget-reader", unlabelled, WriteOptions())
    assert not allowed(cluster, JANE, "list", "widgets", "team-a", group="example.com")
    assert wider not in rules_of(cluster, "view")


async def test_user_defined_aggregation(cluster: Cluster) -> None:
    role(cluster, "monitoring", [], labels={})
    current = cluster.store.get("rbac.authorization.k8s.io/clusterroles", "", "monitoring")
    assert current is not None
    rtype = cluster.registry.lookup("rbac.authorization.k8s.io", "v1", "clusterroles")
    assert rtype is not None
    from kubegenie.sandbox.objects import WriteOptions

    cluster.objects.update(rtype, "", "monitoring", {**current, "aggregationRule": {"clusterRoleSelectors": [
        {"matchExpressions": [{"key": "team", "operator": "In", "values": ["obs", "sre"]}]}]}}, WriteOptions())
    role(cluster, "b-metrics", [{"verbs": ["get"], "apiGroups": [""], "resources": ["services/proxy"]}],
         labels={"team": "sre"})
    role(cluster, "a-dashboards", [{"verbs": ["get"], "apiGroups": ["example.com"], "resources": ["dashboards"]},
                                   {"verbs": ["get"], "apiGroups": [""], "resources": ["services/proxy"]}],
         labels={"team": "obs"})
    role(cluster, "c-unrelated", [{"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}], labels={"team": "x"})
    await asyncio.sleep(0)
    # Sorted by source role name, duplicates dropped, as the controller builds them.
    assert rules_of(cluster, "monitoring") == [
        {"verbs": ["get"], "apiGroups": ["example.com"], "resources": ["dashboards"]},
        {"verbs": ["get"], "apiGroups": [""], "resources": ["services/proxy"]}]
    entry = cluster.store.get("rbac.authorization.k8s.io/clusterroles", "", "monitoring")
    assert entry is not None
    managers = [field["manager"] for field in entry["metadata"].get("managedFields") or []]
    assert "clusterrole-aggregation-controller" in managers
