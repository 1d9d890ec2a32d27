"""The official `kubernetes` Python client against the sandbox, sync and `kubernetes.aio`, with its typed
(pydantic) models: CRUD on pods, deployments, configmaps and services, list then watch from the list's
resourceVersion, every patch type, pod logs, and errors as ApiException with the right status."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import datetime

import pytest
from kubernetes import client, config, watch
from kubernetes.aio import client as aio_client
from kubernetes.aio import config as aio_config
from kubernetes.aio import watch as aio_watch
from kubernetes.client.exceptions import ApiException

from tests.support import kubelet
from tests.support.sandbox import SandboxEnv

LOG = "sim.kubegenie.io/log"


@pytest.fixture
def api(sandbox: SandboxEnv) -> Iterator[client.ApiClient]:
    api_client = config.new_client_from_config(config_file=str(sandbox.kubeconfig))
    with api_client:
        yield api_client


@pytest.fixture
async def aio_api(sandbox: SandboxEnv) -> AsyncIterator[aio_client.ApiClient]:
    api_client = await aio_config.new_client_from_config(config_file=str(sandbox.kubeconfig))
    try:
        yield api_client
    finally:
        await api_client.close()


def pod_model(name: str, labels: dict[str, str] | None = None) -> client.V1Pod:
    return client.V1Pod(metadata=client.V1ObjectMeta(name=name, labels=labels or {}),
                        spec=client.V1PodSpec(containers=[client.V1Container(
                            name="app", image="nginx:1.27",
                            resources=client.V1ResourceRequirements(requests={"cpu": "100m", "memory": "64Mi"}))]))


def deployment_model(name: str, replicas: int = 2) -> client.V1Deployment:
    labels = {"app": name}
    return client.V1Deployment(
        metadata=client.V1ObjectMeta(name=name),
        spec=client.V1DeploymentSpec(
            replicas=replicas, selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(metadata=client.V1ObjectMeta(labels=labels),
                                              spec=client.V1PodSpec(containers=[client.V1Container(
                                                  name="web", image="nginx:1.27")]))))


def test_pod_crud(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    created = core.create_namespaced_pod(namespace, pod_model("typed", {"app": "typed"}))
    assert isinstance(created, client.V1Pod)
    assert isinstance(created.metadata.resource_version, str)
    assert isinstance(created.metadata.creation_timestamp, datetime)
    assert created.spec.containers[0].resources.requests == {"cpu": "100m", "memory": "64Mi"}
    assert created.status.phase == "Pending"
    listed = core.list_namespaced_pod(namespace, label_selector="app=typed")
    assert [pod.metadata.name for pod in listed.items] == ["typed"]
    assert isinstance(listed.metadata.resource_version, str)
    created.metadata.labels["tier"] = "front"
    replaced = core.replace_namespaced_pod("typed", namespace, created)
    assert replaced.metadata.labels == {"app": "typed", "tier": "front"}
    assert int(replaced.metadata.resource_version) > int(created.metadata.resource_version)
    deleted = core.delete_namespaced_pod("typed", namespace)
    assert isinstance(deleted, client.V1Pod)
    with pytest.raises(ApiException) as missing:
        core.read_namespaced_pod("typed", namespace)
    assert missing.value.status == 404
    assert json.loads(missing.value.body)["message"] == 'pods "typed" not found'


def test_deployment_crud_and_scale(api: client.ApiClient, namespace: str) -> None:
    apps = client.AppsV1Api(api)
    created = apps.create_namespaced_deployment(namespace, deployment_model("web"))
    assert created.spec.strategy.rolling_update.max_surge == "25%"
    assert created.metadata.generation == 1
    scale = apps.read_namespaced_deployment_scale("web", namespace)
    assert isinstance(scale, client.V1Scale)
    assert (scale.spec.replicas, scale.status.selector) == (2, "app=web")
    scaled = apps.patch_namespaced_deployment_scale("web", namespace, {"spec": {"replicas": 4}})
    assert scaled.spec.replicas == 4
    current = apps.read_namespaced_deployment("web", namespace)
    assert (current.spec.replicas, current.metadata.generation) == (4, 2)
    current.spec.template.spec.containers[0].image = "nginx:1.28"
    replaced = apps.replace_namespaced_deployment("web", namespace, current)
    assert replaced.spec.template.spec.containers[0].image == "nginx:1.28"
    # Deletes are typed `object` in 37.x: the client hands back the Status as a dict.
    status = apps.delete_namespaced_deployment("web", namespace)
    assert (status["kind"], status["status"], status["details"]["name"]) == ("Status", "Success", "web")


def test_configmaps_services_and_optimistic_concurrency(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    first = core.create_namespaced_config_map(namespace, client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="settings"), data={"mode": "fast"}))
    first.data["mode"] = "safe"
    updated = core.replace_namespaced_config_map("settings", namespace, first)
    assert updated.data == {"mode": "safe"}
    first.data["mode"] = "stale"
    with pytest.raises(ApiException) as conflict:
        core.replace_namespaced_config_map("settings", namespace, first)
    assert conflict.value.status == 409
    assert json.loads(conflict.value.body)["message"] == (
        'Operation cannot be fulfilled on configmaps "settings": the object has been modified; please apply your '
        "changes to the latest version and try again")
    service = core.create_namespaced_service(namespace, client.V1Service(
        metadata=client.V1ObjectMeta(name="web"),
        spec=client.V1ServiceSpec(selector={"app": "web"}, ports=[client.V1ServicePort(port=80, target_port=8080)])))
    assert service.spec.cluster_ip.startswith("10.")
    assert service.spec.ports[0].target_port == 8080
    assert service.spec.ports[0].protocol == "TCP"
    with pytest.raises(ApiException) as exists:
        core.create_namespaced_service(namespace, service)
    assert (exists.value.status, json.loads(exists.value.body)["reason"]) == (409, "AlreadyExists")
    core.delete_namespaced_service("web", namespace)
    core.delete_namespaced_config_map("settings", namespace)
    assert [cm.metadata.name for cm in core.list_namespaced_config_map(namespace).items] == ["kube-root-ca.crt"]


def test_list_then_watch_from_the_list_resource_version(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    listed = core.list_namespaced_config_map(namespace)
    core.create_namespaced_config_map(namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="a")))
    core.create_namespaced_config_map(namespace, client.V1ConfigMap(metadata=client.V1ObjectMeta(name="b")))
    core.patch_namespaced_config_map("a", namespace, {"data": {"k": "v"}})
    core.delete_namespaced_config_map("b", namespace)
    seen = []
    stream = watch.Watch()
    for event in stream.stream(core.list_namespaced_config_map, namespace,
                               resource_version=listed.metadata.resource_version, timeout_seconds=2):
        assert isinstance(event["object"], client.V1ConfigMap)
        seen.append((event["type"], event["object"].metadata.name))
    assert seen == [("ADDED", "a"), ("ADDED", "b"), ("MODIFIED", "a"), ("DELETED", "b")]
    assert int(stream.resource_version) > int(listed.metadata.resource_version)


def test_every_patch_type(api: client.ApiClient, namespace: str) -> None:
    core = client.CoreV1Api(api)
    core.create_namespaced_pod(namespace, pod_model("patched", {"app": "patched"}))
    strategic = core.patch_namespaced_pod("patched", namespace, {
        "spec": {"containers": [{"name": "app", "image": "nginx:1.28"}]}})
    assert [(c.name, c.image) for c in strategic.spec.containers] == [("app", "nginx:1.28")]
    assert strategic.spec.containers[0].resources.requests == {"cpu": "100m", "memory": "64Mi"}
    merged = core.patch_namespaced_pod("patched", namespace, {"metadata": {"labels": {"tier": "back"}}},
                                       _content_type="application/merge-patch+json")
    assert merged.metadata.labels == {"app": "patched", "tier": "back"}
    json_patched = core.patch_namespaced_pod("patched", namespace,
                                             [{"op": "remove", "path": "/metadata/labels/tier"}])
    assert json_patched.metadata.labels == {"app": "patched"}
    applied = core.patch_namespaced_config_map("applied", namespace, {
        "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "applied"}, "data": {"owner": "python"}},
        field_manager="python-test", _content_type="application/apply-patch+yaml")
    assert applied.data == {"owner": "python"}
    assert [entry.manager for entry in applied.metadata.managed_fields] == ["python-test"]
    with pytest.raises(ApiException) as conflict:
        core.patch_namespaced_config_map("applied", namespace, {
            "apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "applied"}, "data": {"owner": "other"}},
            field_manager="someone-else", _content_type="application/apply-patch+yaml")
    assert conflict.value.status == 409
    assert json.loads(conflict.value.body)["details"]["causes"][0]["reason"] == "FieldManagerConflict"


def test_read_namespaced_pod_log(api: client.ApiClient, sandbox: SandboxEnv, namespace: str) -> None:
    core = client.CoreV1Api(api)
    kubelet.run_pod(sandbox, namespace, "talker", annotations={LOG: "one\ntwo\nthree"})
    assert core.read_namespaced_pod_log("talker", namespace) == "one\ntwo\nthree\n"
    assert core.read_namespaced_pod_log("talker", namespace, container="app", tail_lines=1) == "three\n"
    with pytest.raises(ApiException) as previous:
        core.read_namespaced_pod_log("talker", namespace, previous=True)
    assert previous.value.status == 400
    assert json.loads(previous.value.body)["message"] == ('previous terminated container "app" in pod "talker" '
                                                          "not found")


def test_errors_are_api_exceptions(api: client.ApiClient, namespace: str) -> None:
    apps = client.AppsV1Api(api)
    core = client.CoreV1Api(api)
    with pytest.raises(ApiException) as invalid:
        apps.create_namespaced_deployment(namespace, {
            "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "bad"},
            "spec": {"replicas": -1, "selector": {"matchLabels": {"a": "b"}},
                     "template": {"metadata": {"labels": {"a": "b"}},
                                  "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}})
    body = json.loads(invalid.value.body)
    assert (invalid.value.status, body["reason"], body["details"]["causes"][0]["field"]) == (
        422, "Invalid", "spec.replicas")
    with pytest.raises(ApiException) as selector:
        core.list_namespaced_pod(namespace, field_selector="spec.image=nginx")
    assert (selector.value.status, json.loads(selector.value.body)["message"]) == (
        400, "field label not supported: spec.image")
    api.set_default_header("Impersonate-User", "jane")
    try:
        with pytest.raises(ApiException) as forbidden:
            core.list_namespaced_secret(namespace)
    finally:
        api.default_headers.pop("Impersonate-User")
    assert forbidden.value.status == 403
    assert json.loads(forbidden.value.body)["message"] == (
        f'secrets is forbidden: User "jane" cannot list resource "secrets" in API group "" in the namespace '
        f'"{namespace}"')


async def test_aio_client(aio_api: aio_client.ApiClient, sandbox: SandboxEnv, namespace: str) -> None:
    core = aio_client.CoreV1Api(aio_api)
    apps = aio_client.AppsV1Api(aio_api)
    listed = await core.list_namespaced_config_map(namespace)
    created = await core.create_namespaced_config_map(namespace, aio_client.V1ConfigMap(
        metadata=aio_client.V1ObjectMeta(name="async"), data={"k": "1"}))
    assert isinstance(created.metadata.resource_version, str)
    merged = await core.patch_namespaced_config_map("async", namespace, {"data": {"k": "2"}},
                                                    _content_type="application/merge-patch+json")
    assert merged.data == {"k": "2"}
    seen = []
    stream = aio_watch.Watch()
    async with stream:
        async for event in stream.stream(core.list_namespaced_config_map, namespace,
                                         resource_version=listed.metadata.resource_version, timeout_seconds=1):
            seen.append((event["type"], event["object"].metadata.name, event["object"].data))
    assert seen == [("ADDED", "async", {"k": "1"}), ("MODIFIED", "async", {"k": "2"})]
    deployment = await apps.create_namespaced_deployment(namespace, {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "aweb"},
        "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "aweb"}},
                 "template": {"metadata": {"labels": {"app": "aweb"}},
                              "spec": {"containers": [{"name": "web", "image": "nginx:1.27"}]}}}})
    assert deployment.spec.replicas == 1
    kubelet.run_pod(sandbox, namespace, "async-talker", annotations={LOG: "hello async"})
    assert await core.read_namespaced_pod_log("async-talker", namespace) == "hello async\n"
    with pytest.raises(aio_client.ApiException) as missing:
        await core.read_namespaced_config_map("nope", namespace)
    assert missing.value.status == 404
    await core.delete_namespaced_config_map("async", namespace)
