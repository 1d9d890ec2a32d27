"""Requests carry the KubeGenie user's identity as impersonation, so the cluster's RBAC decides."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubegenie import errors
from kubegenie.kube.client import ResourcePath
from kubegenie.kube.informer import SyncState
from kubegenie.kube.registry import ClusterRegistry
from kubegenie.sandbox import bootstrap
from kubegenie.settings import KubeSettings
from tests.kube.conftest import context_of, write_kubeconfig
from tests.support.sandbox import SandboxEnv

PODS = ResourcePath("", "v1", "pods")


def _grant(sandbox: SandboxEnv, name: str, rules: list[dict[str, object]], user: str,
           namespace: str | None = None) -> None:
    async def create() -> None:
        rbac = "rbac.authorization.k8s.io/v1"
        subject = [{"kind": "User", "name": user, "apiGroup": "rbac.authorization.k8s.io"}]
        if namespace is None:
            bootstrap.create(sandbox.cluster, rbac, "clusterroles", "", {"metadata": {"name": name}, "rules": rules})
            bootstrap.create(sandbox.cluster, rbac, "clusterrolebindings", "", {
                "metadata": {"name": name}, "subjects": subject,
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": name}})
        else:
            bootstrap.create(sandbox.cluster, rbac, "rolebindings", namespace, {
                "metadata": {"name": name}, "subjects": subject,
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}})

    sandbox.thread.call(create)


def _registry(sandbox: SandboxEnv, tmp_path: Path, user: str) -> ClusterRegistry:
    path = write_kubeconfig(tmp_path / "k.yaml", [{"name": "s", **context_of(sandbox)}])
    return ClusterRegistry(KubeSettings(impersonate_user=user, impersonate_groups=["developers"]), [path])


async def test_viewer_can_list_but_not_delete(sandbox: SandboxEnv, namespace: str, tmp_path: Path) -> None:
    _grant(sandbox, f"{namespace}-viewer", [], "viewer-jane", namespace=namespace)
    admin = _registry(sandbox, tmp_path, "ignored")
    admin.identity = None
    viewer = _registry(sandbox, tmp_path, "viewer-jane")
    try:
        await (await admin.client("s")).create(PODS, {"metadata": {"name": "web"}, "spec": {
            "containers": [{"name": "app", "image": "nginx:1.27"}]}}, namespace)
        client = await viewer.client("s")
        items, _ = await client.list(PODS, namespace)
        assert [p["metadata"]["name"] for p in items] == ["web"]
        with pytest.raises(errors.PermissionDenied) as denied:
            await client.delete(PODS, "web", namespace)
        error = denied.value
        assert (error.verb, error.resource, error.namespace) == ("delete", "pods", namespace)
        assert 'User "viewer-jane" cannot delete resource "pods"' in error.message
        assert f"kubectl --context s auth can-i delete pods -n {namespace}" in error.remediation
        assert (await client.can_i("list", "pods", namespace)).allowed
        assert not (await client.can_i("delete", "pods", namespace)).allowed
        authorizer = sandbox.cluster.authorizer
        from kubegenie.sandbox.authorization import Attributes
        from kubegenie.sandbox.identity import Identity

        jane = Identity("viewer-jane", ("developers", "system:authenticated"))
        for verb in ("get", "list", "watch", "delete", "create", "patch"):
            expected = authorizer.authorize(jane, Attributes(verb, resource="pods", namespace=namespace)).allowed
            assert (await client.can_i(verb, "pods", namespace)).allowed == expected, verb
    finally:
        await admin.close()
        await viewer.close()


async def test_kinds_not_permitted_are_reported_and_the_rest_work(sandbox: SandboxEnv, tmp_path: Path) -> None:
    user = "limited-lee"
    _grant(sandbox, "limited-lee", [{"apiGroups": [""], "resources": ["pods", "nodes", "namespaces"],
                                     "verbs": ["get", "list", "watch"]}], user)
    registry = _registry(sandbox, tmp_path, user)
    try:
        cache = await registry.cache("s", wait=5)
        status = cache.status()
        assert status.state == SyncState.SYNCED
        assert "secrets" in status.not_permitted and "deployments" in status.not_permitted
        assert "pods" not in status.not_permitted and "namespaces" not in status.not_permitted
        assert "default" in cache.namespaces()
    finally:
        await registry.close()
