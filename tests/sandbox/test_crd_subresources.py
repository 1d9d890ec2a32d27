"""The status and scale subresources of custom resources, strategic merge patch refused with 415, and the
Python client (CustomObjectsApi with merge patches, DynamicClient) on custom resources."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from kubernetes import client, config
from kubernetes.client.rest import ApiException
from kubernetes.dynamic import DynamicClient

from tests.support import crds, kubectl
from tests.support.crds import run
from tests.support.sandbox import SandboxEnv

GROUP = "sub.example.com"
NAMESPACE = "subresources"


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SandboxEnv]:
    sandbox = crds.crd_sandbox(tmp_path_factory.mktemp("crd-subresources"))
    crds.install(sandbox, crds.widget_crd(GROUP))
    crds.create_namespace(sandbox, NAMESPACE)
    yield sandbox
    sandbox.thread.stop()


@pytest.fixture
def objects(env: SandboxEnv) -> Iterator[client.CustomObjectsApi]:
    api_client = config.new_client_from_config(config_file=str(env.kubeconfig))
    yield client.CustomObjectsApi(api_client)
    api_client.close()


def widget(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": f"{GROUP}/v1", "kind": "Widget", "metadata": {"name": name},
            "spec": {"size": "medium", **spec}}


def create(env: SandboxEnv, name: str, **spec: Any) -> None:
    from kubegenie.sandbox.objects import WriteOptions

    async def write() -> None:
        rtype = env.cluster.registry.lookup(GROUP, "v1", "widgets")
        assert rtype is not None
        env.cluster.objects.create(rtype, NAMESPACE, widget(name, **spec), WriteOptions())

    env.thread.call(write)


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_kubectl_scale_writes_the_spec_replicas_path(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    name = f"scaled-{binary.label.replace('.', '-')}"
    create(env, name, replicas=2)
    crds.set_status(env, f"{GROUP}/v1", "widgets", NAMESPACE, name, {"replicas": 2, "selector": "app=widget"})
    scaled = run(env, binary, "-n", NAMESPACE, "scale", f"widgets.{GROUP}", name, "--replicas=5")
    assert scaled.stdout.strip() == f"widget.{GROUP}/{name} scaled", scaled.stderr
    replicas = run(env, binary, "-n", NAMESPACE, "get", f"widgets.{GROUP}", name, "-o", "jsonpath={.spec.replicas}")
    assert replicas.stdout == "5"
    raw = run(env, binary, "get", "--raw", f"/apis/{GROUP}/v1/namespaces/{NAMESPACE}/widgets/{name}/scale")
    scale = yaml.safe_load(raw.stdout)
    assert (scale["kind"], scale["apiVersion"]) == ("Scale", "autoscaling/v1")
    assert scale["spec"] == {"replicas": 5}
    assert scale["status"] == {"replicas": 2, "selector": "app=widget"}
    guarded = run(env, binary, "-n", NAMESPACE, "scale", f"widgets.{GROUP}", name, "--current-replicas=3",
                  "--replicas=1")
    assert guarded.stderr.strip() == "error: Expected replicas to be 3, was 5"


@pytest.mark.kubectl
@pytest.mark.parametrize("binary", kubectl.params())
def test_strategic_merge_patch_is_unsupported(env: SandboxEnv, binary: kubectl.Kubectl) -> None:
    name = f"patched-{binary.label.replace('.', '-')}"
    create(env, name)
    refused = run(env, binary, "-n", NAMESPACE, "patch", f"widgets.{GROUP}", name, "-p", '{"spec":{"replicas":4}}')
    assert refused.returncode == 1
    assert refused.stderr.strip() == (
        f"error: application/strategic-merge-patch+json is not supported by {GROUP}/v1, Kind=Widget: the body of "
        f"the request was in an unknown format - accepted media types include: application/json-patch+json, "
        f"application/merge-patch+json, application/apply-patch+yaml")
    merged = run(env, binary, "-n", NAMESPACE, "patch", f"widgets.{GROUP}", name, "--type=merge",
                 "-p", '{"spec":{"replicas":4}}')
    assert merged.stdout.strip() == f"widget.{GROUP}/{name} patched"
    json_patched = run(env, binary, "-n", NAMESPACE, "patch", f"widgets.{GROUP}", name, "--type=json",
                       "-p", '[{"op":"replace","path":"/spec/size","value":"large"}]')
    assert json_patched.stdout.strip() == f"widget.{GROUP}/{name} patched"
    spec = run(env, binary, "-n", NAMESPACE, "get", f"widgets.{GROUP}", name, "-o", "jsonpath={.spec.replicas} "
                                                                                    "{.spec.size}")
    assert spec.stdout == "4 large"


def test_main_resource_writes_ignore_status_and_status_writes_ignore_spec(
        env: SandboxEnv, objects: client.CustomObjectsApi) -> None:
    body = widget("separate", replicas=1)
    body["status"] = {"replicas": 7}
    created = objects.create_namespaced_custom_object(GROUP, "v1", NAMESPACE, "widgets", body)
    assert "status" not in created
    assert created["metadata"]["generation"] == 1
    status = objects.patch_namespaced_custom_object_status(
        GROUP, "v1", NAMESPACE, "widgets", "separate",
        {"spec": {"replicas": 9}, "status": {"replicas": 3, "readyReplicas": 2}})
    assert status["spec"]["replicas"] == 1
    assert status["status"] == {"replicas": 3, "readyReplicas": 2}
    assert status["metadata"]["generation"] == 1
    updated = objects.patch_namespaced_custom_object(GROUP, "v1", NAMESPACE, "widgets", "separate",
                                                     {"spec": {"replicas": 2}, "status": {"replicas": 0}})
    assert updated["spec"]["replicas"] == 2
    assert updated["status"] == {"replicas": 3, "readyReplicas": 2}
    assert updated["metadata"]["generation"] == 2


def test_custom_objects_api_merge_patch_and_scale(env: SandboxEnv, objects: client.CustomObjectsApi) -> None:
    objects.create_namespaced_custom_object(GROUP, "v1", NAMESPACE, "widgets", widget("py", tags=["a"]))
    patched = objects.patch_namespaced_custom_object(GROUP, "v1", NAMESPACE, "widgets", "py",
                                                     {"spec": {"color": "green", "tags": None}})
    assert patched["spec"] == {"color": "green", "paused": False, "replicas": 1, "size": "medium"}
    scale = objects.get_namespaced_custom_object_scale(GROUP, "v1", NAMESPACE, "widgets", "py")
    assert scale["spec"] == {"replicas": 1}
    scale = objects.patch_namespaced_custom_object_scale(GROUP, "v1", NAMESPACE, "widgets", "py",
                                                         {"spec": {"replicas": 6}})
    assert scale["spec"] == {"replicas": 6}
    assert objects.get_namespaced_custom_object(GROUP, "v1", NAMESPACE, "widgets", "py")["spec"]["replicas"] == 6
    with pytest.raises(ApiException) as negative:
        objects.patch_namespaced_custom_object_scale(GROUP, "v1", NAMESPACE, "widgets", "py",
                                                     {"spec": {"replicas": -1}})
    assert negative.value.status == 422
    assert json.loads(negative.value.body)["message"] == \
        'Scale.autoscaling "py" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0'
    listed = objects.list_namespaced_custom_object(GROUP, "v1", NAMESPACE, "widgets", label_selector="missing=x")
    assert listed["items"] == [] and listed["kind"] == "WidgetList"
    objects.delete_namespaced_custom_object(GROUP, "v1", NAMESPACE, "widgets", "py")
    with pytest.raises(ApiException) as gone:
        objects.get_namespaced_custom_object(GROUP, "v1", NAMESPACE, "widgets", "py")
    assert gone.value.status == 404


def test_scale_without_spec_replicas_is_an_internal_error(env: SandboxEnv,
                                                          objects: client.CustomObjectsApi) -> None:
    group = "noreplicas.example.com"
    crd = crds.widget_crd(group)
    del crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["replicas"][
        "default"]
    crds.install(env, crd)
    objects.create_namespaced_custom_object(group, "v1", NAMESPACE, "widgets",
                                            {"apiVersion": f"{group}/v1", "kind": "Widget",
                                             "metadata": {"name": "bare"}, "spec": {"size": "small"}})
    with pytest.raises(ApiException) as error:
        objects.get_namespaced_custom_object_scale(group, "v1", NAMESPACE, "widgets", "bare")
    assert error.value.status == 500
    assert 'Internal error occurred: the spec replicas field \\".spec.replicas\\" does not exist' in error.value.body
    scaled = objects.patch_namespaced_custom_object_scale(group, "v1", NAMESPACE, "widgets", "bare",
                                                          {"spec": {"replicas": 2}})
    assert scaled["spec"] == {"replicas": 2}


def test_dynamic_client_finds_crds_added_at_run_time(env: SandboxEnv) -> None:
    api_client = config.new_client_from_config(config_file=str(env.kubeconfig))
    try:
        dynamic = DynamicClient(api_client)
        group = "dynamic.example.com"
        crd_api = dynamic.resources.get(api_version="apiextensions.k8s.io/v1", kind="CustomResourceDefinition")
        crd_api.create(body=crds.widget_crd(group))
        env.settle()
        dynamic.resources.invalidate_cache()
        widgets = dynamic.resources.get(api_version=f"{group}/v1", kind="Widget")
        assert (widgets.namespaced, widgets.short_names, widgets.categories) == (True, ["wd"], ["gadgets"])
        widgets.create(namespace=NAMESPACE, body={"apiVersion": f"{group}/v1", "kind": "Widget",
                                                  "metadata": {"name": "dyn"}, "spec": {"size": "small"}})
        patched = widgets.patch(namespace=NAMESPACE, name="dyn", body={"spec": {"replicas": 3}},
                                content_type="application/merge-patch+json")
        assert patched.spec.replicas == 3
        assert [item.metadata.name for item in widgets.get(namespace=NAMESPACE).items] == ["dyn"]
        scale = widgets.subresources["scale"].get(namespace=NAMESPACE, name="dyn")
        assert scale.kind == "Scale" and scale.spec.replicas == 3
    finally:
        api_client.close()
