"""Custom resources served at several versions: objects are stored in the storage version and read back in
any served one (conversion strategy None rewrites apiVersion), each version has its own schema and
printer columns, deprecated versions answer with Warning headers, and moving the storage version grows
status.storedVersions."""

from __future__ import annotations

import copy
from collections.abc import Iterator

import pytest
import yaml

from tests.support import crds, kubectl
from tests.support.crds import run
from tests.support.sandbox import SandboxEnv

GROUP = "versions.example.com"
NAMESPACE = "versions"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxEnv]:
    sandbox = crds.crd_sandbox(tmp_path_factory.mktemp("crd-versions"), crds.USAGES, crds.FUNCTIONS)
    crds.install(sandbox, crds.widget_crd(GROUP))
    crds.create_namespace(sandbox, NAMESPACE)
    yield sandbox
    sandbox.thread.stop()


def beta_widget(name: str, **spec: object) -> str:
    return yaml.safe_dump({"apiVersion": f"{GROUP}/v1beta1", "kind": "Widget", "metadata": {"name": name},
                           "spec": {"size": "large", **spec}})


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_objects_are_stored_in_the_storage_version(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    name = f"beta-{binary.label.replace('.', '-')}"
    created = run(env, binary, "-n", NAMESPACE, "create", "-f", "-", input=beta_widget(name))
    assert created.stdout.strip() == f"widget.{GROUP}/{name} created", created.stderr
    warning = f"Warning: {GROUP}/v1beta1 Widget is deprecated; use {GROUP}/v1 Widget"
    assert created.stderr.strip() == warning
    stored = env.cluster.store.get(f"{GROUP}/widgets", NAMESPACE, name)
    assert stored is not None and stored["apiVersion"] == f"{GROUP}/v1"
    # Defaults of the storage version apply too, as the object passes through it.
    assert stored["spec"] == {"color": "blue", "paused": False, "replicas": 1, "size": "large"}
    as_v1 = run(env, binary, "-n", NAMESPACE, "get", f"widgets.v1.{GROUP}", name, "-o", "jsonpath={.apiVersion}")
    assert (as_v1.stdout, as_v1.stderr) == (f"{GROUP}/v1", "")
    as_beta = run(env, binary, "-n", NAMESPACE, "get", f"widgets.v1beta1.{GROUP}", name, "-o",
                  "jsonpath={.apiVersion}")
    assert as_beta.stdout == f"{GROUP}/v1beta1"
    assert as_beta.stderr.strip() == warning
    table = run(env, binary, "-n", NAMESPACE, "get", f"widgets.v1beta1.{GROUP}", name)
    assert table.stdout.splitlines() == ["NAME" + " " * (len(name) - 1) + "SIZE", f"{name}   large"]


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_each_version_validates_with_its_own_schema(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    name = f"tagged-{binary.label.replace('.', '-')}"
    refused = run(env, binary, "-n", NAMESPACE, "create", "-f", "-", input=beta_widget(name, tags=["a"]))
    assert 'Widget in version "v1beta1" cannot be handled as a Widget: strict decoding error: unknown field ' \
           '"spec.tags"' in refused.stderr
    loose = run(env, binary, "-n", NAMESPACE, "create", "--validate=false", "-f", "-",
                input=beta_widget(name, size="enormous"))
    # v1beta1 has no enum for size; v1 does, but only the requested version's schema validates.
    assert loose.stdout.strip() == f"widget.{GROUP}/{name} created", loose.stderr


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_crd_deprecation_warning_text(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    listed = run(env, binary, "get", "usages.v1alpha1.apiextensions.crossplane.io")
    assert listed.stderr.splitlines() == [
        "Warning: apiextensions.crossplane.io Usage is deprecated; migrate to protection.crossplane.io Usage or "
        "ClusterUsage", "No resources found"]


def test_preferred_version_and_discovery_of_multi_version_crds(env: SandboxEnv) -> None:
    from kubegenie.sandbox import discovery

    group = discovery.api_group(env.cluster, "pkg.crossplane.io")
    assert group is not None
    assert [v["version"] for v in group["versions"]] == ["v1", "v1beta1"]
    assert group["preferredVersion"] == {"groupVersion": "pkg.crossplane.io/v1", "version": "v1"}
    assert env.cluster.storage_versions["pkg.crossplane.io/functions"] == "pkg.crossplane.io/v1"


def test_moving_the_storage_version(env: SandboxEnv) -> None:
    from kubegenie.sandbox.objects import WriteOptions

    group = "moving.example.com"
    crd = crds.widget_crd(group)
    crds.install(env, crd)
    cluster = env.cluster

    async def move() -> tuple[dict[str, object], str]:
        crd_type = cluster.registry.lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        rtype = cluster.registry.lookup(group, "v1", "widgets")
        assert crd_type is not None and rtype is not None
        cluster.objects.create(rtype, NAMESPACE, {"metadata": {"name": "before"}, "spec": {"size": "small"}},
                               WriteOptions())
        current = cluster.objects.get(crd_type, "", f"widgets.{group}")
        changed = copy.deepcopy(current)
        changed["spec"]["versions"][0]["storage"] = False
        changed["spec"]["versions"][1]["storage"] = True
        cluster.objects.update(crd_type, "", f"widgets.{group}", changed, WriteOptions())
        await cluster.settle()
        rtype = cluster.registry.lookup(group, "v1", "widgets")
        assert rtype is not None
        cluster.objects.create(rtype, NAMESPACE, {"metadata": {"name": "after"}, "spec": {"size": "small"}},
                               WriteOptions())
        after = cluster.store.get(f"{group}/widgets", NAMESPACE, "after")
        assert after is not None
        return cluster.objects.get(crd_type, "", f"widgets.{group}"), str(after["apiVersion"])

    updated, stored_as = env.thread.call(move)
    assert updated["status"]["storedVersions"] == ["v1", "v1beta1"]  # type: ignore[index]
    assert stored_as == f"{group}/v1beta1"
    before = cluster.store.get(f"{group}/widgets", NAMESPACE, "before")
    assert before is not None and before["apiVersion"] == f"{group}/v1"
