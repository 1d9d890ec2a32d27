"""Strategic merge patch on plain objects, checked against the semantics of apimachinery's strategicpatch:
merge keys from the schemas, replace by default, null deletes, and every directive."""

from __future__ import annotations

import copy
from types import SimpleNamespace
from typing import Any

import pytest

from kubegenie.sandbox import status
from kubegenie.sandbox.patch import strategic
from kubegenie.sandbox.patch.shapes import Shapes
from kubegenie.sandbox.patch.strategic import StrategicMerge
from kubegenie.sandbox.resources import ResourceRegistry
from kubegenie.sandbox.schemas import SchemaSet

SCHEMAS = SchemaSet(31)
SHAPES = Shapes(SCHEMAS)
DEPLOYMENT = SCHEMAS.for_kind("apps", "v1", "Deployment")
POD = SCHEMAS.for_kind("", "v1", "Pod")


def deployment(**pod_spec: Any) -> dict[str, Any]:
    spec = {"containers": [{"name": "web", "image": "nginx:1.25",
                            "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                            "ports": [{"containerPort": 80, "protocol": "TCP"}]},
                           {"name": "side", "image": "busybox", "args": ["sleep", "60"]}]}
    spec.update(pod_spec)
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "labels": {"app": "d"}},
            "spec": {"replicas": 1, "strategy": {"type": "RollingUpdate",
                                                 "rollingUpdate": {"maxSurge": "25%", "maxUnavailable": "25%"}},
                     "template": {"metadata": {"labels": {"app": "d"}}, "spec": spec}}}


def patched(original: dict[str, Any], patch: dict[str, Any], schema: Any = DEPLOYMENT) -> dict[str, Any]:
    return StrategicMerge(SHAPES).merge_map(copy.deepcopy(original), copy.deepcopy(patch), schema)


def containers(obj: dict[str, Any]) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = obj["spec"]["template"]["spec"]["containers"]
    return result


def template_patch(pod_spec: dict[str, Any]) -> dict[str, Any]:
    return {"spec": {"template": {"spec": pod_spec}}}


def test_containers_merge_by_name_and_keep_the_others() -> None:
    result = patched(deployment(), template_patch({"containers": [{"name": "side", "image": "busybox:1.36"}]}))
    assert [(c["name"], c["image"]) for c in containers(result)] == [("web", "nginx:1.25"), ("side", "busybox:1.36")]
    assert containers(result)[1]["args"] == ["sleep", "60"]


def test_a_new_env_var_is_added_by_name_in_front_as_the_apiserver_orders_it() -> None:
    patch = template_patch({"containers": [{"name": "web", "env": [{"name": "C", "value": "3"}]}]})
    env = containers(patched(deployment(), patch))[0]["env"]
    assert env == [{"name": "C", "value": "3"}, {"name": "A", "value": "1"}, {"name": "B", "value": "2"}]


def test_changing_an_env_var_keeps_its_place() -> None:
    patch = template_patch({"containers": [{"name": "web", "env": [{"name": "B", "value": "20"}]}]})
    env = containers(patched(deployment(), patch))[0]["env"]
    assert env == [{"name": "A", "value": "1"}, {"name": "B", "value": "20"}]


def test_patch_delete_directive_removes_a_list_item_by_merge_key() -> None:
    patch = template_patch({"containers": [{"name": "web", "env": [{"name": "A", "$patch": "delete"}]}]})
    assert containers(patched(deployment(), patch))[0]["env"] == [{"name": "B", "value": "2"}]


def test_set_element_order_puts_items_where_the_client_wants_them() -> None:
    patch = template_patch({"containers": [{"name": "web", "$setElementOrder/env": [{"name": "A"}, {"name": "C"}],
                                            "env": [{"name": "C", "value": "3"}, {"name": "B", "$patch": "delete"}]}],
                            "$setElementOrder/containers": [{"name": "web"}, {"name": "side"}]})
    result = patched(deployment(), patch)
    assert containers(result)[0]["env"] == [{"name": "A", "value": "1"}, {"name": "C", "value": "3"}]
    assert [c["name"] for c in containers(result)] == ["web", "side"]


def test_set_element_order_alone_reorders_a_list() -> None:
    patch = template_patch({"$setElementOrder/containers": [{"name": "side"}, {"name": "web"}]})
    assert [c["name"] for c in containers(patched(deployment(), patch))] == ["side", "web"]


def test_null_deletes_a_field_and_a_map_key() -> None:
    result = patched(deployment(), {"metadata": {"labels": {"app": None}}, "spec": {"replicas": None}})
    assert "replicas" not in result["spec"]
    assert result["metadata"]["labels"] == {}


def test_null_for_an_absent_field_changes_nothing() -> None:
    assert patched(deployment(), {"spec": {"paused": None}}) == deployment()
    result = patched(deployment(), {"metadata": {"annotations": {"gone": None}}})
    assert result["metadata"].get("annotations", {}) == {}


def test_a_list_set_to_null_is_deleted_even_with_an_order_directive() -> None:
    patch = template_patch({"$setElementOrder/containers": [{"name": "web"}],
                            "containers": [{"name": "web", "env": None, "$setElementOrder/env": []}]})
    assert "env" not in containers(patched(deployment(), patch))[0]
    original = {"metadata": {"name": "p", "finalizers": ["a"]}}
    cleared = patched(original, {"metadata": {"$setElementOrder/finalizers": [], "finalizers": None}}, POD)
    assert "finalizers" not in cleared["metadata"]


def test_lists_without_a_merge_strategy_are_replaced() -> None:
    patch = template_patch({"containers": [{"name": "side", "args": ["sleep", "5"]}],
                            "tolerations": [{"key": "b", "operator": "Exists"}]})
    original = deployment(tolerations=[{"key": "a", "operator": "Exists"}])
    result = patched(original, patch)
    assert containers(result)[1]["args"] == ["sleep", "5"]
    assert result["spec"]["template"]["spec"]["tolerations"] == [{"key": "b", "operator": "Exists"}]


def test_ports_merge_by_container_port() -> None:
    patch = template_patch({"containers": [{"name": "web", "ports": [{"containerPort": 80, "name": "http"},
                                                                       {"containerPort": 443, "name": "https"}]}]})
    ports = containers(patched(deployment(), patch))[0]["ports"]
    assert ports == [{"containerPort": 80, "protocol": "TCP", "name": "http"}, {"containerPort": 443, "name": "https"}]


def test_volume_mounts_merge_by_mount_path() -> None:
    original = deployment()
    containers(original)[0]["volumeMounts"] = [{"name": "data", "mountPath": "/data"}]
    patch = template_patch({"containers": [{"name": "web", "volumeMounts": [{"mountPath": "/data",
                                                                              "readOnly": True}]}]})
    assert containers(patched(original, patch))[0]["volumeMounts"] == [{"name": "data", "mountPath": "/data",
                                                                         "readOnly": True}]


def test_owner_references_merge_by_uid() -> None:
    original = {"metadata": {"name": "p", "ownerReferences": [
        {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "rs", "uid": "u1"}]}}
    patch = {"metadata": {"ownerReferences": [{"uid": "u1", "controller": True},
                                              {"apiVersion": "v1", "kind": "Node", "name": "n", "uid": "u2"}]}}
    refs = patched(original, patch, POD)["metadata"]["ownerReferences"]
    assert [(ref["uid"], ref.get("controller")) for ref in refs] == [("u1", True), ("u2", None)]


def test_finalizers_merge_as_a_set_and_delete_from_primitive_list_removes() -> None:
    original = {"metadata": {"name": "p", "finalizers": ["a", "b"]}}
    merged = patched(original, {"metadata": {"finalizers": ["b", "c"]}}, POD)
    assert merged["metadata"]["finalizers"] == ["a", "b", "c"]
    removed = patched(original, {"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"]}}, POD)
    assert removed["metadata"]["finalizers"] == ["b"]


def test_replace_directive_in_a_list_replaces_the_whole_list() -> None:
    patch = template_patch({"containers": [{"name": "only", "image": "alpine"}, {"$patch": "replace"}]})
    assert containers(patched(deployment(), patch)) == [{"name": "only", "image": "alpine"}]


def test_replace_and_delete_directives_on_maps() -> None:
    replaced = patched(deployment(), {"metadata": {"labels": {"$patch": "replace", "tier": "web"}}})
    assert replaced["metadata"]["labels"] == {"tier": "web"}
    deleted = patched(deployment(), {"spec": {"strategy": {"$patch": "delete"}}})
    assert deleted["spec"]["strategy"] == {}


def test_retain_keys_clears_the_fields_the_client_no_longer_sets() -> None:
    patch = {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate"}}}
    assert patched(deployment(), patch)["spec"]["strategy"] == {"type": "Recreate"}


def test_retain_keys_must_name_every_field_of_the_patch() -> None:
    with pytest.raises(status.ApiError) as raised:
        patched(deployment(), {"spec": {"strategy": {"$retainKeys": ["type"], "type": "Recreate",
                                                     "rollingUpdate": {"maxSurge": 1}}}})
    assert (raised.value.code, raised.value.message) == (400, "invalid patch format of retainKeys")


def test_new_fields_take_the_patch_value_without_directives() -> None:
    patch = {"spec": {"template": {"spec": {"volumes": [{"name": "cache", "emptyDir": {}},
                                                        {"name": "gone", "$patch": "delete"}]}}}}
    assert patched(deployment(), patch)["spec"]["template"]["spec"]["volumes"] == [{"name": "cache", "emptyDir": {}}]


def test_unknown_directives_are_errors() -> None:
    with pytest.raises(status.ApiError) as raised:
        patched(deployment(), {"metadata": {"labels": {"$patch": "squash"}}})
    assert raised.value.code == 500
    assert raised.value.message == "unknown patch type: squash in map: map[$patch:squash]"
    with pytest.raises(status.ApiError) as merge_in_list:
        patched(deployment(), template_patch({"containers": [{"$patch": "merge"}]}))
    assert merge_in_list.value.message == "merging lists cannot yet be specified in the patch"


def test_list_items_need_their_merge_key() -> None:
    with pytest.raises(status.ApiError) as raised:
        patched(deployment(), template_patch({"containers": [{"image": "x"}]}))
    assert raised.value.message == "map: map[image:x] does not contain declared merge key: name"


def test_the_original_object_is_not_changed() -> None:
    deployments = ResourceRegistry.builtin().lookup("apps", "v1", "deployments")
    assert deployments is not None
    original = deployment()
    cluster = SimpleNamespace(schemas=SCHEMAS)
    result = strategic.apply(cluster, deployments, original,  # type: ignore[arg-type]
                             template_patch({"containers": [{"name": "web", "image": "nginx:1.27"}]}))
    assert containers(result)[0]["image"] == "nginx:1.27"
    assert original == deployment()
