"""Per-kind 422 rules that clients notice, with the apiserver's texts as every kubectl prints them: volume
mounts that name no volume, selectors that miss the template labels, StatefulSet specs that may not change
(the list of mutable fields depends on the Kubernetes minor), and NodePorts outside the range."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from kubegenie.sandbox import status, validation
from kubegenie.sandbox.cluster import Cluster
from tests.support import crds, kubectl
from tests.support.crds import run
from tests.support.sandbox import SandboxEnv

NAMESPACE = "rules"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxEnv]:
    sandbox = crds.crd_sandbox(tmp_path_factory.mktemp("rules"))
    crds.create_namespace(sandbox, NAMESPACE)
    yield sandbox
    sandbox.thread.stop()


def suffix(binary: kubectl.Kubectl) -> str:
    return binary.label.replace(".", "-")


def statefulset(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": name},
            "spec": {"serviceName": name, "selector": {"matchLabels": {"app": name}},
                     "template": {"metadata": {"labels": {"app": name}},
                                  "spec": {"containers": [{"name": "db", "image": "postgres:16",
                                                           "volumeMounts": [{"name": "data",
                                                                             "mountPath": "/var/lib/data"}]}]}},
                     "volumeClaimTemplates": [{"metadata": {"name": "data"},
                                               "spec": {"accessModes": ["ReadWriteOnce"],
                                                        "resources": {"requests": {"storage": "1Gi"}}}}],
                     **spec}}


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_statefulset_spec_changes_are_limited(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    name = f"db-{suffix(binary)}"
    created = run(env, binary, "-n", NAMESPACE, "apply", "-f", "-", input=yaml.safe_dump(statefulset(name)))
    assert created.stdout.strip() == f"statefulset.apps/{name} created", created.stderr
    scaled = run(env, binary, "-n", NAMESPACE, "apply", "-f", "-",
                 input=yaml.safe_dump(statefulset(name, replicas=3)))
    assert scaled.stdout.strip() == f"statefulset.apps/{name} configured", scaled.stderr
    changed = run(env, binary, "-n", NAMESPACE, "apply", "-f", "-",
                  input=yaml.safe_dump(statefulset(name, replicas=3, podManagementPolicy="Parallel")))
    assert changed.stderr.strip() == (
        f'The StatefulSet "{name}" is invalid: spec: Forbidden: updates to statefulset spec for fields other than '
        f"'replicas', 'ordinals', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
        f"'minReadySeconds' are forbidden")


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_volume_mounts_and_selectors(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    name = f"web-{suffix(binary)}"
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
           "spec": {"containers": [{"name": "web", "image": "nginx:1.27",
                                    "volumeMounts": [{"name": "cache", "mountPath": "/cache"}]}]}}
    refused = run(env, binary, "-n", NAMESPACE, "create", "-f", "-", input=yaml.safe_dump(pod))
    assert refused.stderr.strip() == \
        f'The Pod "{name}" is invalid: spec.containers[0].volumeMounts[0].name: Not found: "cache"'
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name},
                  "spec": {"selector": {"matchLabels": {"app": name}},
                           "template": {"metadata": {"labels": {"app": "other", "tier": "web"}},
                                        "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}}
    mismatched = run(env, binary, "-n", NAMESPACE, "create", "-f", "-", input=yaml.safe_dump(deployment))
    assert mismatched.stderr.strip() == (
        f'The Deployment "{name}" is invalid: spec.template.metadata.labels: Invalid value: '
        f'map[string]string{{"app":"other", "tier":"web"}}: `selector` does not match template `labels`')


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_node_port_range(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    name = f"np-{suffix(binary)}"
    service = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
               "spec": {"type": "NodePort", "selector": {"app": name},
                        "ports": [{"port": 80, "nodePort": 8080}]}}
    refused = run(env, binary, "-n", NAMESPACE, "create", "-f", "-", input=yaml.safe_dump(service))
    assert refused.stderr.strip() == (
        f'The Service "{name}" is invalid: spec.ports[0].nodePort: Invalid value: 8080: provided port is not in the '
        f"valid range. The range of valid ports is 30000-32767")


@pytest.mark.parametrize(("version", "listed"), [
    ("1.25.16", "'replicas', 'template', 'updateStrategy', 'persistentVolumeClaimRetentionPolicy' and "
                "'minReadySeconds'"),
    ("1.33.1", "'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', "
               "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds'"),
])
def test_statefulset_message_follows_the_kubernetes_minor(version: str, listed: str) -> None:
    cluster = Cluster("minor", version)
    rtype = cluster.registry.lookup("apps", "v1", "statefulsets")
    assert rtype is not None
    old = statefulset("db")
    new = statefulset("db", serviceName="renamed")
    with pytest.raises(status.ApiError) as error:
        validation.validate(cluster, rtype, new, old)
    assert error.value.message == (f'StatefulSet.apps "db" is invalid: spec: Forbidden: updates to statefulset spec '
                                   f"for fields other than {listed} are forbidden")
    history = statefulset("db", revisionHistoryLimit=3)
    if version.startswith("1.33"):
        validation.validate(cluster, rtype, history, old)
    else:
        with pytest.raises(status.ApiError):
            validation.validate(cluster, rtype, history, old)


def test_go_values_in_field_errors() -> None:
    assert validation.go_value("x") == '"x"'
    assert validation.go_value(True) == "true"
    assert validation.go_value(None) == "null"
    assert validation.go_value(7) == "7"
    assert validation.go_value({"b": "2", "a": "1"}) == 'map[string]string{"a":"1", "b":"2"}'
