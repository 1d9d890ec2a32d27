"""CRD additionalPrinterColumns as server-side Tables: the Crossplane columns (READY, SYNCED, EXTERNAL-NAME,
AGE; INSTALLED, HEALTHY, PACKAGE) with every kubectl, custom categories (`kubectl get crossplane`,
`managed`), the Name + Age default, and the JSONPath dialect the columns are written in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kubegenie.sandbox.printers import custom, jsonpath
from tests.support import crds, kubectl
from tests.support.crds import run
from tests.support.sandbox import SandboxEnv

RDS = "rds.aws.m.upbound.io/v1beta1"
PROVIDER = "pkg.crossplane.io/v1"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxEnv]:
    sandbox = crds.crd_sandbox(tmp_path_factory.mktemp("crd-printers"), crds.PROVIDERS, crds.RDS_INSTANCES,
                               crds.COMPOSITIONS)
    namespace = crds.create_namespace(sandbox, "databases")
    documents = [
        {"apiVersion": PROVIDER, "kind": "Provider", "metadata": {"name": "provider-aws-rds"},
         "spec": {"package": "xpkg.crossplane.io/crossplane-contrib/provider-aws-rds:v2.0.0"}},
        {"apiVersion": RDS, "kind": "Instance",
         "metadata": {"name": "orders-db", "namespace": namespace,
                      "annotations": {"crossplane.io/external-name": "orders-prod"}},
         "spec": {"forProvider": {"region": "eu-west-1", "instanceClass": "db.t3.micro", "engine": "postgres"}}},
        {"apiVersion": RDS, "kind": "Instance", "metadata": {"name": "pending-db", "namespace": namespace},
         "spec": {"forProvider": {"region": "eu-west-1", "instanceClass": "db.t3.micro"}}},
    ]
    _create(sandbox, documents)
    crds.set_status(sandbox, PROVIDER, "providers", "", "provider-aws-rds", {"conditions": [
        _condition("Installed", "True"), _condition("Healthy", "True")]})
    crds.set_status(sandbox, RDS, "instances", namespace, "orders-db", {"conditions": [
        _condition("Ready", "True"), _condition("Synced", "True")]})
    crds.set_status(sandbox, RDS, "instances", namespace, "pending-db", {"conditions": [
        _condition("Ready", "False"), _condition("Synced", "True")]})
    yield sandbox
    sandbox.thread.stop()


def _condition(kind: str, value: str) -> dict[str, Any]:
    return {"type": kind, "status": value, "reason": "Available" if value == "True" else "Creating",
            "lastTransitionTime": "2025-01-01T00:00:00Z"}


def _create(env: SandboxEnv, documents: list[dict[str, Any]], plural: str = "") -> None:
    from kubegenie.sandbox.objects import WriteOptions

    async def create() -> None:
        for document in documents:
            group, _, version = document["apiVersion"].rpartition("/")
            kind_plural = plural or {"Provider": "providers", "Instance": "instances"}[document["kind"]]
            rtype = env.cluster.registry.lookup(group, version, kind_plural)
            assert rtype is not None
            env.cluster.objects.create(rtype, document["metadata"].get("namespace", ""), document, WriteOptions())

    env.thread.call(create)


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_managed_resource_columns(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    result = run(env, binary, "-n", "databases", "get", "instances.rds.aws.m.upbound.io")
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["NAME", "SYNCED", "READY", "EXTERNAL-NAME", "AGE"], result.stderr
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["orders-db"][1:4] == ["True", "True", "orders-prod"]
    assert rows["pending-db"][1:3] == ["True", "False"]
    # A missing external name is an empty cell, so the row only has NAME SYNCED READY AGE.
    assert len(rows["pending-db"]) == 4


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_provider_columns(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    result = run(env, binary, "get", "providers.pkg.crossplane.io")
    header, row = result.stdout.splitlines()
    assert header.split() == ["NAME", "INSTALLED", "HEALTHY", "PACKAGE", "AGE"]
    assert row.split()[:4] == ["provider-aws-rds", "True", "True",
                               "xpkg.crossplane.io/crossplane-contrib/provider-aws-rds:v2.0.0"]


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_custom_categories(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    managed = run(env, binary, "get", "managed", "-A")
    assert managed.stdout.splitlines()[0].split() == ["NAMESPACE", "NAME", "SYNCED", "READY", "EXTERNAL-NAME",
                                                      "AGE"], managed.stderr
    # One type in the category: kubectl prints bare names, as it does for a single resource type.
    names = [line.split()[1] for line in managed.stdout.splitlines()[1:]]
    assert names == ["orders-db", "pending-db"]
    everything = run(env, binary, "get", "crossplane", "-A")
    assert "provider.pkg.crossplane.io/provider-aws-rds" in everything.stdout
    assert "instance.rds.aws.m.upbound.io/orders-db" in everything.stdout
    assert everything.stderr == ""


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_sort_by_and_custom_columns_use_the_object(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    result = run(env, binary, "-n", "databases", "get", "instances.rds.aws.m.upbound.io",
                 "--sort-by=.metadata.name", "-o", "custom-columns=NAME:.metadata.name,REGION:.spec.forProvider.region")
    assert result.stdout.splitlines() == ["NAME         REGION", "orders-db    eu-west-1", "pending-db   eu-west-1"]


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_crd_without_printer_columns_lists_name_and_age(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    group = f"plain.{binary.label.replace('.', '-')}.example.com"
    crd = crds.widget_crd(group)
    for version in crd["spec"]["versions"]:
        version.pop("additionalPrinterColumns", None)
    crds.install(env, crd)
    widget = {"apiVersion": f"{group}/v1", "kind": "Widget", "metadata": {"name": "plain", "namespace": "databases"},
              "spec": {"size": "small"}}
    _create(env, [widget], plural="widgets")
    table = run(env, binary, "-n", "databases", "get", f"widgets.{group}")
    header, row = table.stdout.splitlines()
    assert header.split() == ["NAME", "AGE"], table.stderr
    assert row.split()[0] == "plain" and row.split()[1].endswith(("s", "m"))


def test_table_cells_follow_column_types(env: SandboxEnv) -> None:
    cluster = env.cluster
    printer = custom.printer([
        {"name": "Count", "type": "integer", "jsonPath": ".spec.count"},
        {"name": "Ratio", "type": "number", "jsonPath": ".spec.count"},
        {"name": "On", "type": "boolean", "jsonPath": ".spec.on"},
        {"name": "Labels", "type": "string", "jsonPath": ".metadata.labels"},
        {"name": "Wrong", "type": "integer", "jsonPath": ".spec.on"},
        {"name": "Missing", "type": "string", "jsonPath": ".spec.nothing"},
        {"name": "Since", "type": "date", "jsonPath": ".spec.when"},
        {"name": "Bad", "type": "date", "jsonPath": ".spec.on2"},
    ])
    obj = {"metadata": {"name": "x", "labels": {"b": "2", "a": "1"}},
           "spec": {"count": 3, "on": True, "when": "2000-01-01T00:00:00Z", "on2": "yesterday"}}
    cells = printer.row(cluster, obj)
    assert cells[:7] == ["x", 3, 3.0, True, '{"a":"1","b":"2"}', None, None]
    assert cells[7].endswith("y") and cells[8] == "<invalid>"
    assert [column.name for column in printer.columns] == ["Name", "Count", "Ratio", "On", "Labels", "Wrong",
                                                           "Missing", "Since", "Bad"]
    assert printer.columns[1].description == "Custom resource definition column (in JSONPath format): .spec.count"


def test_crd_without_columns_prints_name_and_age(env: SandboxEnv) -> None:
    printer = custom.printer(None)
    assert [(c.name, c.type) for c in printer.columns] == [("Name", "string"), ("Age", "date")]
    assert printer.row(env.cluster, {"metadata": {"name": "n"}}) == ["n", None]


@pytest.mark.parametrize(("expression", "expected"), [
    (".status.conditions[?(@.type=='Ready')].status", ["False"]),
    (".status.conditions[?(@.type!='Ready')].type", ["Synced"]),
    (".metadata.annotations.crossplane\\.io/external-name", ["prod-db"]),
    ("{.metadata.annotations['crossplane.io/external-name']}", ["prod-db"]),
    (".spec.ports[*].port", [80, 443]),
    (".spec.ports[-1].port", [443]),
    (".spec.ports[0:1].name", ["http"]),
    (".spec.ports[?(@.port > 100)].name", ["https"]),
    (".spec.ports[?(@.secure)].name", ["https"]),
    ("..port", [80, 443]),
    (".spec.ports[0]['name','port']", ["http", 80]),
    (".spec.missing.deeper", []),
    ("$.spec.replicas", [2]),
])
def test_jsonpath(expression: str, expected: list[Any]) -> None:
    document = {
        "metadata": {"annotations": {"crossplane.io/external-name": "prod-db"}},
        "spec": {"replicas": 2, "ports": [{"name": "http", "port": 80}, {"name": "https", "port": 443,
                                                                       "secure": True}]},
        "status": {"conditions": [{"type": "Synced", "status": "True"}, {"type": "Ready", "status": "False"}]},
    }
    assert jsonpath.parse(expression).find(document) == expected


def test_jsonpath_rejects_broken_expressions() -> None:
    with pytest.raises(jsonpath.JSONPathError):
        jsonpath.parse(".spec.items[0")
    with pytest.raises(jsonpath.JSONPathError):
        jsonpath.parse(".spec.items[abc]")
