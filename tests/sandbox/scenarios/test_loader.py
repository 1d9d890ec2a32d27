"""Reading scenario files: the built-in scenarios, fragments, and errors that name the file and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from kubegenie.sandbox.scenarios import loader
from kubegenie.sandbox.scenarios.loader import ScenarioError

HEAD = "apiVersion: sandbox.kubegenie.io/v1alpha1\nkind: Scenario\nmetadata: {name: t}\n"


def test_builtin_scenarios_parse() -> None:
    demo = loader.load("demo")
    assert demo.name == "demo"
    assert demo.node_count == 9
    assert {pool.capacity_type for pool in demo.node_pools} == {"on-demand", "spot"}
    kinds = {manifest["kind"] for manifest in demo.manifests}
    assert {"Deployment", "StatefulSet", "DaemonSet", "Job", "CronJob", "Ingress", "PersistentVolume",
            "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "ClusterRoleBinding"} <= kinds
    empty = loader.load("empty")
    assert empty.node_count == 3
    assert {m["metadata"].get("namespace") for m in empty.manifests if m["kind"] == "Deployment"} == {"kube-system"}
    assert not empty.problems


def test_a_file_with_an_included_fragment(tmp_path: Path) -> None:
    (tmp_path / "apps.yaml").write_text("apiVersion: v1\nkind: Namespace\nmetadata: {name: apps}\n")
    path = tmp_path / "s.yaml"
    path.write_text(HEAD + "spec:\n  include: [kube-system, apps.yaml]\n  nodePools:\n"
                    "  - {name: a, instanceType: m5.large, count: 2, zones: [us-east-1a]}\n"
                    "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c, namespace: apps}\n")
    scenario = loader.load(path)
    names = [(m["kind"], m["metadata"]["name"]) for m in scenario.manifests]
    assert ("Deployment", "coredns") in names
    assert names.index(("Namespace", "apps")) < names.index(("ConfigMap", "c"))
    assert scenario.node_pools[0].count == 2


@pytest.mark.parametrize(("text", "message"), [
    ("apiVersion: v1\nkind: Namespace\nmetadata: {name: x}\n", "the first document must be a Scenario"),
    (HEAD.replace("v1alpha1", "v9"), "apiVersion must be sandbox.kubegenie.io/v1alpha1"),
    (HEAD + "spec: {nodes: []}\n", "spec: unknown field 'nodes'"),
    (HEAD + "spec:\n  nodePools: [{name: a, instanceType: m5.large, capacityType: reserved}]\n",
     "spec.nodePools[0]: capacityType must be one of on-demand, spot"),
    (HEAD + "spec:\n  nodePools: [{name: a}]\n", "spec.nodePools[0]: instanceType is required"),
    (HEAD + "spec:\n  nodePools: [{name: a, instanceType: m5.large, taints: [{key: k, effect: Sometimes}]}]\n",
     "each taint needs a key and an effect"),
    (HEAD + "spec:\n  problems: [{category: style, kind: Pod, name: p, what: w}]\n",
     "category must be one of failure, security, cost, usage"),
    (HEAD + "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {}\n", "document 2: ConfigMap needs metadata.name"),
    ("a: [", "not valid YAML"),
])
def test_errors_name_the_place(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as raised:
        loader.load(path)
    assert message in str(raised.value)
    assert str(path) in str(raised.value)


def test_unknown_scenario_name() -> None:
    with pytest.raises(ScenarioError, match="no scenario 'prod-copy': give demo, empty or the path"):
        loader.load("prod-copy")
