"""CustomResourceDefinitions with every kubectl: creating one establishes its names and serves its types,
custom resources round-trip with their printer columns and short names, and deleting the CRD removes the
types and every object of them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from tests.support import crds, kubectl
from tests.support.crds import run
from tests.support.sandbox import SandboxEnv

pytestmark = pytest.mark.kubectl


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxEnv]:
    sandbox = crds.crd_sandbox(tmp_path_factory.mktemp("crd-lifecycle"))
    yield sandbox
    sandbox.thread.stop()


def group_for(binary: kubectl.Kubectl, purpose: str) -> str:
    return f"{purpose}.{binary.label.replace('.', '-')}.example.com"


def widget(group: str, name: str, **spec: Any) -> str:
    return yaml.safe_dump({"apiVersion": f"{group}/v1", "kind": "Widget", "metadata": {"name": name},
                           "spec": {"size": "small", **spec}})


@pytest.mark.parametrize("binary", kubectl.params())
def test_created_crd_is_established_with_accepted_names(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    group = group_for(binary, "est")
    created = run(env, binary, "create", "-f", "-", input=yaml.safe_dump(crds.widget_crd(group)))
    assert created.stdout.strip() == f"customresourcedefinition.apiextensions.k8s.io/widgets.{group} created", \
        created.stderr
    waited = run(env, binary, "wait", "--for", "condition=established", "--timeout=10s", f"crd/widgets.{group}")
    assert waited.stdout.strip() == f"customresourcedefinition.apiextensions.k8s.io/widgets.{group} condition met"
    got = run(env, binary, "get", "crd", f"widgets.{group}", "-o", "json")
    crd = json.loads(got.stdout)
    conditions = {c["type"]: (c["status"], c["reason"], c["message"]) for c in crd["status"]["conditions"]}
    assert conditions == {"NamesAccepted": ("True", "NoConflicts", "no conflicts found"),
                          "Established": ("True", "InitialNamesAccepted", "the initial names have been accepted")}
    assert crd["status"]["acceptedNames"] == {"categories": ["gadgets"], "kind": "Widget", "listKind": "WidgetList",
                                              "plural": "widgets", "shortNames": ["wd"], "singular": "widget"}
    assert crd["status"]["storedVersions"] == ["v1"]
    assert crd["metadata"]["finalizers"] == ["customresourcecleanup.apiextensions.k8s.io"]
    assert crd["spec"]["conversion"] == {"strategy": "None"}
    listed = run(env, binary, "get", "crd", f"widgets.{group}")
    assert listed.stdout.splitlines()[0].split() == ["NAME", "CREATED", "AT"]
    assert listed.stdout.splitlines()[1].split()[0] == f"widgets.{group}"


@pytest.mark.parametrize("binary", kubectl.params())
def test_custom_resources_round_trip_with_printer_columns(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    group = group_for(binary, "rt")
    crds.install(env, crds.widget_crd(group))
    namespace = crds.create_namespace(env, f"rt-{binary.label.replace('.', '-')}")
    created = run(env, binary, "-n", namespace, "apply", "-f", "-",
                  input=widget(group, "alpha", replicas=3, tags=["red", "round"]))
    assert created.stdout.strip() == f"widget.{group}/alpha created", created.stderr
    table = run(env, binary, "-n", namespace, "get", f"widgets.{group}")
    header, row = table.stdout.splitlines()
    assert header.split() == ["NAME", "REPLICAS", "READY", "PAUSED", "AGE"]
    assert row.split()[:3] == ["alpha", "3", "false"]
    wide = run(env, binary, "-n", namespace, "get", f"widgets.{group}", "-o", "wide")
    assert wide.stdout.splitlines()[0].split() == ["NAME", "REPLICAS", "READY", "PAUSED", "COLOR", "TAGS", "AGE"]
    assert 'blue    ["red","round"]' in wide.stdout
    by_short_name = run(env, binary, "-n", namespace, "get", f"wd.{group}", "alpha", "-o", "jsonpath={.spec}")
    assert json.loads(by_short_name.stdout) == {"color": "blue", "paused": False, "replicas": 3, "size": "small",
                                                "tags": ["red", "round"]}
    deleted = run(env, binary, "-n", namespace, "delete", f"widgets.{group}", "alpha")
    assert deleted.stdout.strip() == f'widget.{group} "alpha" deleted'
    missing = run(env, binary, "-n", namespace, "get", f"widgets.{group}", "alpha")
    assert f'Error from server (NotFound): widgets.{group} "alpha" not found' in missing.stderr


@pytest.mark.parametrize("binary", kubectl.params())
def test_deleting_crd_removes_types_and_objects(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    group = group_for(binary, "gone")
    crds.install(env, crds.widget_crd(group))
    namespace = crds.create_namespace(env, f"gone-{binary.label.replace('.', '-')}")
    for name in ("one", "two"):
        assert run(env, binary, "-n", namespace, "create", "-f", "-", input=widget(group, name)).returncode == 0
    assert env.cluster.store.count(f"{group}/widgets") == 2
    deleted = run(env, binary, "delete", "crd", f"widgets.{group}")
    assert deleted.stdout.strip() == f'customresourcedefinition.apiextensions.k8s.io "widgets.{group}" deleted'
    env.settle()
    assert env.cluster.store.count(f"{group}/widgets") == 0
    assert env.cluster.registry.lookup(group, "v1", "widgets") is None
    listed = run(env, binary, "-n", namespace, "get", f"widgets.{group}")
    assert 'the server doesn\'t have a resource type "widgets"' in listed.stderr
    raw = run(env, binary, "get", "--raw", f"/apis/{group}/v1")
    assert "NotFound" in raw.stderr


def test_terminating_crd_refuses_new_objects(env: SandboxEnv) -> None:
    """While a CRD waits for an object's finalizer, it is Terminating and creates are 405."""
    from kubegenie.sandbox import status
    from kubegenie.sandbox.objects import DeleteOptions, WriteOptions

    group = "terminating.example.com"
    crds.install(env, crds.widget_crd(group))
    namespace = crds.create_namespace(env, "terminating")
    cluster = env.cluster

    async def scenario() -> tuple[dict[str, Any], str]:
        rtype = cluster.registry.lookup(group, "v1", "widgets")
        crd_type = cluster.registry.lookup("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        assert rtype is not None and crd_type is not None
        cluster.objects.create(rtype, namespace, {"metadata": {"name": "held", "finalizers": ["example.com/hold"]},
                                                  "spec": {"size": "large"}}, WriteOptions())
        cluster.objects.delete(crd_type, "", f"widgets.{group}", DeleteOptions())
        await cluster.settle()
        crd = cluster.objects.get(crd_type, "", f"widgets.{group}")
        try:
            cluster.objects.create(rtype, namespace, {"metadata": {"name": "late"}, "spec": {"size": "small"}},
                                   WriteOptions())
        except status.ApiError as exc:
            message = f"{exc.code} {exc.message}"
        else:
            message = "created"
        held = cluster.objects.get(rtype, namespace, "held")
        cluster.objects.update(rtype, namespace, "held",
                               {**held, "metadata": {**held["metadata"], "finalizers": []}}, WriteOptions())
        await cluster.settle()
        return crd, message

    crd, message = env.thread.call(scenario)
    terminating = [c for c in crd["status"]["conditions"] if c["type"] == "Terminating"]
    assert terminating == [{"lastTransitionTime": terminating[0]["lastTransitionTime"],
                            "message": "CustomResource deletion is in progress",
                            "reason": "InstanceDeletionInProgress", "status": "True", "type": "Terminating"}]
    assert message == "405 create not allowed while custom resource definition is terminating"
    assert env.cluster.store.get("apiextensions.k8s.io/customresourcedefinitions", "", f"widgets.{group}") is None
    assert env.cluster.registry.lookup(group, "v1", "widgets") is None


def test_conflicting_kind_is_not_accepted(env: SandboxEnv) -> None:
    group = "conflict.example.com"
    first = crds.widget_crd(group)
    second = crds.widget_crd(group)
    second["metadata"]["name"] = f"gizmos.{group}"
    second["spec"]["names"] = {"kind": "Widget", "plural": "gizmos"}
    crds.install(env, first, second)
    crd = env.cluster.store.get("apiextensions.k8s.io/customresourcedefinitions", "", f"gizmos.{group}")
    assert crd is not None
    conditions = {c["type"]: (c["status"], c["reason"], c["message"]) for c in crd["status"]["conditions"]}
    assert conditions == {"NamesAccepted": ("False", "KindConflict", '"Widget" is already in use'),
                          "Established": ("False", "NotAccepted", "not all names are accepted")}
    assert env.cluster.registry.lookup(group, "v1", "gizmos") is None
    assert env.cluster.registry.lookup(group, "v1", "widgets") is not None
