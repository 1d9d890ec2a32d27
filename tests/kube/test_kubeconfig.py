"""Kubeconfig files merge as kubectl merges them, and each context uses its own credentials."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubegenie import errors
from kubegenie.kube.kubeconfig import KubeconfigSet
from kubegenie.kube.registry import ClusterRegistry
from kubegenie.settings import KubeSettings
from tests.kube.conftest import context_of, write_kubeconfig
from tests.support.sandbox import SandboxEnv


def test_first_file_wins_for_names_and_current_context(tmp_path: Path) -> None:
    first = write_kubeconfig(tmp_path / "a.yaml", [{"name": "prod", "server": "https://prod.example:6443"}],
                             current="prod")
    second = write_kubeconfig(tmp_path / "b.yaml", [{"name": "prod", "server": "https://other.example:6443"},
                                                    {"name": "staging", "server": "https://staging.example:6443"}],
                              current="staging")
    merged = KubeconfigSet([first, second, tmp_path / "missing.yaml"])
    assert sorted(merged.contexts) == ["prod", "staging"]
    assert merged.contexts["prod"].server == "https://prod.example:6443"
    assert merged.contexts["staging"].source == second
    assert merged.current_context == "prod"
    assert merged.missing == [tmp_path / "missing.yaml"]


def test_malformed_kubeconfig_names_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("clusters: [unclosed\n")
    with pytest.raises(errors.ConfigError) as caught:
        KubeconfigSet([broken])
    assert str(broken) in caught.value.message
    assert "kubectl --kubeconfig" in caught.value.remediation


def test_unknown_context_suggests_the_closest(tmp_path: Path) -> None:
    path = write_kubeconfig(tmp_path / "c.yaml", [{"name": "production", "server": "http://127.0.0.1:1"}])
    registry = ClusterRegistry(KubeSettings(), [path])
    with pytest.raises(errors.InvalidInput) as caught:
        registry.entry("prodution")
    assert "Did you mean 'production'?" in caught.value.remediation


async def test_each_context_authenticates_with_its_own_token(tls_sandbox: SandboxEnv, tmp_path: Path) -> None:
    base = context_of(tls_sandbox)
    first = write_kubeconfig(tmp_path / "alice.yaml", [{"name": "as-alice", **base, "token": "alice-token"}])
    second = write_kubeconfig(tmp_path / "bob.yaml", [{"name": "as-bob", **base, "token": "bob-token"},
                                                      {"name": "as-nobody", **base, "token": "wrong"}])
    registry = ClusterRegistry(KubeSettings(), [first, second])
    try:
        assert registry.names() == ["as-alice", "as-bob", "as-nobody"]
        alice = await registry.client("as-alice")
        bob = await registry.client("as-bob")
        # Neither user has any role yet: both are refused, each under their own name.
        with pytest.raises(errors.PermissionDenied) as alice_denied:
            await alice.request_json("GET", "/api/v1/namespaces/default/pods", verb="list", resource="pods",
                                     namespace="default")
        assert 'User "alice"' in alice_denied.value.message
        with pytest.raises(errors.PermissionDenied) as bob_denied:
            await bob.request_json("GET", "/api/v1/namespaces/default/pods", verb="list", resource="pods",
                                   namespace="default")
        assert 'User "bob"' in bob_denied.value.message
        assert "kubectl --context as-bob auth can-i list pods -n default" in bob_denied.value.remediation
        nobody = await registry.client("as-nobody")
        with pytest.raises(errors.AuthenticationFailed) as rejected:
            await nobody.version()
        assert "as-nobody" in rejected.value.remediation
    finally:
        await registry.close()


async def test_exec_plugin_credentials_come_through_the_client_library(tls_sandbox: SandboxEnv, tmp_path: Path) -> None:
    """A kubeconfig user with an `exec:` plugin (as cloud auth plugins are): its token authenticates."""
    import sys

    import yaml

    plugin = tmp_path / "credential_plugin.py"
    plugin.write_text('import json\nprint(json.dumps({"apiVersion": "client.authentication.k8s.io/v1", '
                      '"kind": "ExecCredential", "status": {"token": "alice-token"}}))\n')
    base = context_of(tls_sandbox)
    path = write_kubeconfig(tmp_path / "exec.yaml", [{"name": "via-exec", **base}])
    config = yaml.safe_load(path.read_text())
    config["users"][0]["user"] = {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": sys.executable,
                                           "args": [str(plugin)], "interactiveMode": "Never"}}
    path.write_text(yaml.safe_dump(config))
    registry = ClusterRegistry(KubeSettings(), [path])
    try:
        client = await registry.client("via-exec")
        with pytest.raises(errors.PermissionDenied) as denied:
            await client.request_json("GET", "/api/v1/namespaces/default/pods", verb="list", resource="pods",
                                      namespace="default")
        assert 'User "alice"' in denied.value.message  # the plugin's token, not the anonymous admin
    finally:
        await registry.close()


async def test_clusters_are_added_and_removed_at_run_time(sandbox: SandboxEnv, tmp_path: Path) -> None:
    first = write_kubeconfig(tmp_path / "one.yaml", [{"name": "one", **context_of(sandbox)}], current="one")
    registry = ClusterRegistry(KubeSettings(), [first])
    try:
        await registry.cache("one", wait=5)
        second = write_kubeconfig(tmp_path / "two.yaml", [{"name": "two", **context_of(sandbox)}])
        assert registry.add_kubeconfig(second) == ["two"]
        assert (await registry.client("two")).context == "two"
        await registry.remove("one")
        assert registry.names() == ["two"] and registry.default == "two"
        with pytest.raises(errors.InvalidInput):
            registry.entry("one")
    finally:
        await registry.close()
