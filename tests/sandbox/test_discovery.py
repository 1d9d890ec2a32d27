"""API discovery with CRDs: `kubectl api-resources` (wide, --namespaced, --api-group), `api-versions`, the
`all` and custom categories, aggregated discovery (v2 and v2beta1, chosen by the Accept header) beside the
legacy documents, and CRD groups that appear and disappear while kubectl's discovery cache is warm."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.support import crds, kubectl
from tests.support.crds import run
from tests.support.sandbox import SandboxEnv

NAMESPACE = "disco"
V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"
V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxEnv]:
    sandbox = crds.crd_sandbox(tmp_path_factory.mktemp("discovery"), crds.PROVIDERS, crds.FUNCTIONS,
                               crds.COMPOSITIONS, crds.RDS_INSTANCES, crds.WIDGETS)
    crds.create_namespace(sandbox, NAMESPACE)
    yield sandbox
    sandbox.thread.stop()


def fetch(env: SandboxEnv, path: str, accept: str) -> tuple[str, Any]:
    request = urllib.request.Request(env.url + path, headers={"Accept": accept})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.headers["Content-Type"], json.loads(response.read())


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_api_resources_lists_crds(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    wide = run(env, binary, "api-resources", "-o", "wide", "--api-group=pkg.crossplane.io")
    assert wide.stdout.splitlines() == [
        "NAME        SHORTNAMES   APIVERSION             NAMESPACED   KIND       VERBS"
        "                                                        CATEGORIES",
        "functions                pkg.crossplane.io/v1   false        Function   "
        "delete,deletecollection,get,list,patch,create,update,watch   crossplane,pkg",
        "providers                pkg.crossplane.io/v1   false        Provider   "
        "delete,deletecollection,get,list,patch,create,update,watch   crossplane,pkg"], wide.stderr
    namespaced = run(env, binary, "api-resources", "--namespaced=true", "--no-headers", "-o", "name")
    names = namespaced.stdout.split()
    assert "instances.rds.aws.m.upbound.io" in names and "widgets.example.com" in names and "pods" in names
    assert "providers.pkg.crossplane.io" not in names and "nodes" not in names
    cluster_scoped = run(env, binary, "api-resources", "--namespaced=false", "-o", "name")
    assert "compositions.apiextensions.crossplane.io" in cluster_scoped.stdout.split()
    assert "widgets.example.com" not in cluster_scoped.stdout.split()
    by_group = run(env, binary, "api-resources", "--api-group=example.com")
    assert by_group.stdout.splitlines()[1].split() == ["widgets", "wd", "example.com/v1", "true", "Widget"]


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_api_versions_lists_every_served_crd_version(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    versions = run(env, binary, "api-versions").stdout.split()
    assert {"pkg.crossplane.io/v1", "pkg.crossplane.io/v1beta1", "apiextensions.crossplane.io/v1",
            "rds.aws.m.upbound.io/v1beta1", "example.com/v1", "example.com/v1beta1", "v1", "apps/v1"} <= set(versions)
    assert versions == sorted(versions)


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_get_all_and_custom_categories(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    name = f"gadget-{binary.label.replace('.', '-')}"
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": name},
              "spec": {"size": "small"}}
    assert run(env, binary, "-n", NAMESPACE, "apply", "-f", "-", input=yaml.safe_dump(widget)).returncode == 0
    gadgets = run(env, binary, "-n", NAMESPACE, "get", "gadgets", "-o", "name")
    assert f"widget.example.com/{name}" in gadgets.stdout.splitlines()
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": f"svc-{name}"},
               "spec": {"ports": [{"port": 80}]}}
    assert run(env, binary, "-n", NAMESPACE, "apply", "-f", "-", input=yaml.safe_dump(service)).returncode == 0
    everything = run(env, binary, "-n", NAMESPACE, "get", "all", "-o", "name")
    assert f"service/svc-{name}" in everything.stdout.splitlines()
    assert "widget" not in everything.stdout  # Widgets are gadgets, not part of `all`.


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_crd_groups_appear_and_disappear_with_a_warm_cache(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    group = f"appear.{binary.label.replace('.', '-')}.example.com"
    assert run(env, binary, "get", "crd").returncode == 0  # warms the discovery cache
    created = run(env, binary, "apply", "-f", "-", input=yaml.safe_dump(crds.widget_crd(group)))
    assert created.returncode == 0, created.stderr
    env.settle()
    listed = run(env, binary, "-n", NAMESPACE, "get", f"widgets.{group}")
    assert (listed.stdout, listed.stderr.strip()) == ("", f"No resources found in {NAMESPACE} namespace.")
    rows = [line.split() for line in run(env, binary, "api-resources").stdout.splitlines()]
    assert ["widgets", "wd", f"{group}/v1", "true", "Widget"] in rows
    assert run(env, binary, "delete", "crd", f"widgets.{group}").returncode == 0
    env.settle()
    assert f"{group}/v1" not in run(env, binary, "api-resources").stdout
    assert f"{group}/v1" not in run(env, binary, "api-versions").stdout.split()


@pytest.mark.parametrize(("accept", "version", "content_type"), [
    (f"{V2},{V2BETA1},application/json", "v2", V2),
    (f"{V2BETA1},application/json", "v2beta1", V2BETA1),
])
def test_aggregated_discovery_is_negotiated(env: SandboxEnv, accept: str, version: str, content_type: str) -> None:
    served_type, apis = fetch(env, "/apis", accept)
    assert served_type == content_type
    assert (apis["kind"], apis["apiVersion"]) == ("APIGroupDiscoveryList", f"apidiscovery.k8s.io/{version}")
    groups = {item["metadata"]["name"]: item for item in apis["items"]}
    crossplane = groups["pkg.crossplane.io"]
    assert [v["version"] for v in crossplane["versions"]] == ["v1", "v1beta1"]
    providers = next(r for r in crossplane["versions"][0]["resources"] if r["resource"] == "providers")
    assert providers == {
        "resource": "providers", "responseKind": {"group": "pkg.crossplane.io", "version": "v1", "kind": "Provider"},
        "scope": "Cluster", "singularResource": "provider",
        "verbs": ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"],
        "categories": ["crossplane", "pkg"],
        "subresources": [{"subresource": "status", "responseKind": {"group": "pkg.crossplane.io", "version": "v1",
                                                                    "kind": "Provider"},
                          "verbs": ["get", "patch", "update"]}]}
    widgets = next(r for r in groups["example.com"]["versions"][0]["resources"] if r["resource"] == "widgets")
    assert [s["subresource"] for s in widgets["subresources"]] == ["scale", "status"]
    assert widgets["subresources"][0]["responseKind"] == {"group": "autoscaling", "version": "v1", "kind": "Scale"}
    assert groups["example.com"]["versions"][0]["freshness"] == "Current"
    _, core = fetch(env, "/api", accept)
    assert len(core["items"]) == 1 and "name" not in core["items"][0]["metadata"]


def test_legacy_discovery_without_aggregated_accept(env: SandboxEnv) -> None:
    content_type, groups = fetch(env, "/apis", "application/json")
    assert content_type.startswith("application/json") and groups["kind"] == "APIGroupList"
    names = [group["name"] for group in groups["groups"]]
    assert names.index("apps") < names.index("example.com")  # built-in groups come first
    group = next(g for g in groups["groups"] if g["name"] == "example.com")
    assert group["preferredVersion"] == {"groupVersion": "example.com/v1", "version": "v1"}
    _, resources = fetch(env, "/apis/example.com/v1", "application/json")
    entries = {entry["name"]: entry for entry in resources["resources"]}
    assert set(entries) == {"widgets", "widgets/scale", "widgets/status"}
    assert entries["widgets/scale"] == {"name": "widgets/scale", "singularName": "", "namespaced": True,
                                        "kind": "Scale", "verbs": ["get", "patch", "update"],
                                        "group": "autoscaling", "version": "v1"}
    assert entries["widgets"]["shortNames"] == ["wd"] and entries["widgets"]["categories"] == ["gadgets"]
    _, aggregated_only_v1 = fetch(env, "/apis", "application/json;g=apidiscovery.k8s.io;v=v1;as=APIGroupDiscoveryList")
    assert aggregated_only_v1["kind"] == "APIGroupList"
