"""Server-side apply and managedFields on the object API: ownership recorded by create, update and apply,
pruning of fields an applier drops, conflicts and forced takeover, kubectl's client-side to server-side
migration, before-first-apply, managers replacing managedFields, and the update-manager cap."""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import orjson
import pytest

from kubegenie.sandbox import bodies, status
from kubegenie.sandbox.cluster import Cluster
from kubegenie.sandbox.objects import WriteOptions
from kubegenie.sandbox.patch.typed import merged_order
from kubegenie.sandbox.resources import ResourceType
from kubegenie.sandbox.store import Obj

NS = "team"
LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"


@pytest.fixture
async def cluster() -> AsyncIterator[Cluster]:
    result = Cluster()
    namespaces = result.registry.lookup("", "v1", "namespaces")
    assert namespaces is not None
    result.objects.create(namespaces, "", {"metadata": {"name": NS}}, WriteOptions(field_manager="test"))
    yield result


def deployments(cluster: Cluster) -> ResourceType:
    found = cluster.registry.lookup("apps", "v1", "deployments")
    assert found is not None
    return found


def manifest(replicas: int = 2, env: list[dict[str, str]] | None = None, **extra: Any) -> Obj:
    container: Obj = {"name": "web", "image": "nginx:1.25"}
    if env is not None:
        container["env"] = env
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", **extra},
            "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": "web"}},
                     "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [container]}}}}


def apply(cluster: Cluster, config: Obj, manager: str = "kubectl", force: bool = False) -> Obj:
    obj, _ = cluster.objects.patch(deployments(cluster), NS, config["metadata"]["name"], orjson.dumps(config),
                                   bodies.APPLY_PATCH, WriteOptions(field_manager=manager, force=force))
    return obj


def patch(cluster: Cluster, body: Any, content_type: str, manager: str) -> Obj:
    obj, _ = cluster.objects.patch(deployments(cluster), NS, "web", orjson.dumps(body), content_type,
                                   WriteOptions(field_manager=manager))
    return obj


def entries(obj: Obj) -> dict[tuple[str, str], Any]:
    return {(entry["manager"], entry["operation"]): entry["fieldsV1"] for entry in obj["metadata"]["managedFields"]}


def conflict_of(raised: pytest.ExceptionInfo[status.ApiError]) -> tuple[int, str, list[tuple[str, str]]]:
    error = raised.value
    causes = [(cause["message"], cause["field"]) for cause in (error.details or {})["causes"]]
    assert all(cause["reason"] == "FieldManagerConflict" for cause in (error.details or {})["causes"])
    return error.code, error.message, causes


async def test_apply_creates_the_object_owned_by_one_apply_entry(cluster: Cluster) -> None:
    obj = apply(cluster, manifest(env=[{"name": "A", "value": "1"}]))
    assert [(e["manager"], e["operation"], e["apiVersion"]) for e in obj["metadata"]["managedFields"]] == [
        ("kubectl", "Apply", "apps/v1")]
    assert entries(obj)[("kubectl", "Apply")] == {"f:spec": {
        "f:replicas": {}, "f:selector": {},
        "f:template": {"f:metadata": {"f:labels": {"f:app": {}}}, "f:spec": {"f:containers": {
            'k:{"name":"web"}': {".": {}, "f:env": {'k:{"name":"A"}': {".": {}, "f:name": {}, "f:value": {}}},
                                 "f:image": {}, "f:name": {}}}}}}}


async def test_create_records_what_the_creator_set_including_defaults(cluster: Cluster) -> None:
    obj = cluster.objects.create(deployments(cluster), NS, manifest(labels={"app": "web"}),
                                 WriteOptions(field_manager="kubectl-create"))
    fields = entries(obj)[("kubectl-create", "Update")]
    assert fields["f:metadata"] == {"f:labels": {".": {}, "f:app": {}}}
    spec = fields["f:spec"]
    assert spec["f:strategy"] == {"f:rollingUpdate": {".": {}, "f:maxSurge": {}, "f:maxUnavailable": {}},
                                  "f:type": {}}
    assert spec["f:selector"] == {} and spec["f:replicas"] == {}
    assert spec["f:template"]["f:metadata"] == {"f:labels": {".": {}, "f:app": {}}}
    container = spec["f:template"]["f:spec"]["f:containers"]['k:{"name":"web"}']
    assert set(container) == {".", "f:image", "f:imagePullPolicy", "f:name", "f:resources",
                              "f:terminationMessagePath", "f:terminationMessagePolicy"}
    assert "." not in spec["f:template"]["f:spec"]["f:containers"]


async def test_reapplying_without_a_field_removes_it_unless_another_applier_owns_it(cluster: Cluster) -> None:
    apply(cluster, manifest(env=[{"name": "A", "value": "1"}, {"name": "B", "value": "2"}], labels={"x": "1"}))
    shared = {"apiVersion": "apps/v1", "kind": "Deployment",
              "metadata": {"name": "web", "labels": {"x": "1"}},
              "spec": {"template": {"spec": {"containers": [{"name": "web",
                                                             "env": [{"name": "B", "value": "2"}]}]}}}}
    apply(cluster, shared, manager="helper")
    obj = apply(cluster, manifest(replicas=2, env=[]))
    container = obj["spec"]["template"]["spec"]["containers"][0]
    assert container["env"] == [{"name": "B", "value": "2"}]
    assert obj["metadata"]["labels"] == {"x": "1"}
    again = apply(cluster, {**manifest(), "metadata": {"name": "web"}}, manager="helper")
    assert "env" not in again["spec"]["template"]["spec"]["containers"][0]
    assert "labels" not in again["metadata"]


async def test_changing_a_field_another_manager_owns_is_a_conflict_until_forced(cluster: Cluster) -> None:
    cluster.objects.create(deployments(cluster), NS, manifest(), WriteOptions(field_manager="kubectl-create"))
    with pytest.raises(status.ApiError) as raised:
        apply(cluster, manifest(replicas=5), manager="deployer")
    assert conflict_of(raised) == (
        409, 'Apply failed with 1 conflict: conflict with "kubectl-create" using apps/v1: .spec.replicas',
        [('conflict with "kubectl-create" using apps/v1', ".spec.replicas")])
    assert raised.value.reason == "Conflict"
    obj = apply(cluster, manifest(replicas=5), manager="deployer", force=True)
    assert obj["spec"]["replicas"] == 5
    owned = entries(obj)
    assert "f:replicas" in owned[("deployer", "Apply")]["f:spec"]
    assert "f:replicas" not in owned[("kubectl-create", "Update")]["f:spec"]


async def test_applying_the_value_already_there_shares_the_field(cluster: Cluster) -> None:
    cluster.objects.create(deployments(cluster), NS, manifest(), WriteOptions(field_manager="kubectl-create"))
    obj = apply(cluster, manifest(), manager="deployer")
    owned = entries(obj)
    assert "f:replicas" in owned[("deployer", "Apply")]["f:spec"]
    assert "f:replicas" in owned[("kubectl-create", "Update")]["f:spec"]


async def test_several_conflicts_are_listed_by_manager(cluster: Cluster) -> None:
    cluster.objects.create(deployments(cluster), NS, manifest(), WriteOptions(field_manager="kubectl-create"))
    patch(cluster, {"spec": {"template": {"spec": {"containers": [{"name": "web", "image": "nginx:1.26"}]}}}},
          bodies.STRATEGIC_PATCH, "kubectl-set")
    changed = manifest(replicas=7)
    changed["spec"]["template"]["spec"]["containers"][0]["image"] = "nginx:1.27"
    with pytest.raises(status.ApiError) as raised:
        apply(cluster, changed, manager="deployer")
    code, message, causes = conflict_of(raised)
    assert code == 409
    assert message == ('Apply failed with 2 conflicts: conflicts with "kubectl-create" using apps/v1:\n'
                       "- .spec.replicas\n"
                       'conflicts with "kubectl-set" using apps/v1:\n'
                       '- .spec.template.spec.containers[name="web"].image')
    assert causes == [('conflict with "kubectl-create" using apps/v1', ".spec.replicas"),
                      ('conflict with "kubectl-set" using apps/v1',
                       '.spec.template.spec.containers[name="web"].image')]


async def test_an_apply_that_changes_nothing_keeps_the_resource_version(cluster: Cluster) -> None:
    first = apply(cluster, manifest())
    second = apply(cluster, manifest())
    assert second["metadata"]["resourceVersion"] == first["metadata"]["resourceVersion"]
    assert second["metadata"]["managedFields"] == first["metadata"]["managedFields"]


async def test_patches_that_change_nothing_keep_the_resource_version(cluster: Cluster) -> None:
    created = cluster.objects.create(deployments(cluster), NS, manifest(), WriteOptions(field_manager="c"))
    rv = created["metadata"]["resourceVersion"]
    assert patch(cluster, {"spec": {"replicas": 2}}, bodies.MERGE_PATCH, "m")["metadata"]["resourceVersion"] == rv
    assert patch(cluster, {"spec": {"replicas": 2}}, bodies.STRATEGIC_PATCH, "s")["metadata"]["resourceVersion"] == rv
    same = [{"op": "replace", "path": "/spec/replicas", "value": 2}]
    assert patch(cluster, same, bodies.JSON_PATCH, "j")["metadata"]["resourceVersion"] == rv
    changed = patch(cluster, {"spec": {"replicas": 3}}, bodies.MERGE_PATCH, "m")
    assert changed["metadata"]["resourceVersion"] != rv
    assert entries(changed)[("m", "Update")] == {"f:spec": {"f:replicas": {}}}


async def test_kubectl_takes_over_client_side_apply_fields_that_still_hold_the_last_applied_values(
        cluster: Cluster) -> None:
    config = manifest()
    created = copy.deepcopy(config)
    created["metadata"]["annotations"] = {LAST_APPLIED: orjson.dumps(config).decode() + "\n"}
    cluster.objects.create(deployments(cluster), NS, created, WriteOptions(field_manager="kubectl-client-side-apply"))
    obj = apply(cluster, manifest(replicas=3), manager="kubectl")
    assert obj["spec"]["replicas"] == 3
    assert "f:replicas" in entries(obj)[("kubectl", "Apply")]["f:spec"]
    assert "f:replicas" not in entries(obj)[("kubectl-client-side-apply", "Update")]["f:spec"]
    synced = orjson.loads(obj["metadata"]["annotations"][LAST_APPLIED])
    assert synced["spec"]["replicas"] == 3


async def test_fields_changed_since_the_last_client_side_apply_still_conflict(cluster: Cluster) -> None:
    config = manifest()
    created = copy.deepcopy(config)
    created["metadata"]["annotations"] = {LAST_APPLIED: orjson.dumps(config).decode()}
    cluster.objects.create(deployments(cluster), NS, created, WriteOptions(field_manager="kubectl-client-side-apply"))
    patch(cluster, {"spec": {"replicas": 4}}, bodies.MERGE_PATCH, "kubectl-scale")
    with pytest.raises(status.ApiError) as raised:
        apply(cluster, manifest(replicas=3), manager="kubectl")
    assert raised.value.message == ('Apply failed with 1 conflict: conflict with "kubectl-scale" using apps/v1: '
                                    ".spec.replicas")


async def test_objects_nobody_manages_belong_to_before_first_apply(cluster: Cluster) -> None:
    cluster.objects.create(deployments(cluster), NS, manifest(), WriteOptions(field_manager="kubectl-create"))
    cleared = patch(cluster, {"metadata": {"managedFields": [{}]}}, bodies.MERGE_PATCH, "cleaner")
    assert "managedFields" not in cleared["metadata"]
    with pytest.raises(status.ApiError) as raised:
        apply(cluster, manifest(replicas=6), manager="deployer")
    assert raised.value.message == ('Apply failed with 1 conflict: conflict with "before-first-apply" using '
                                    "apps/v1: .spec.replicas")


async def test_a_client_may_replace_managed_fields(cluster: Cluster) -> None:
    created = cluster.objects.create(deployments(cluster), NS, manifest(), WriteOptions(field_manager="kubectl-create"))
    given = [{"manager": "someone", "operation": "Apply", "apiVersion": "apps/v1", "time": "2024-01-01T00:00:00Z",
              "fieldsType": "FieldsV1", "fieldsV1": {"f:spec": {"f:replicas": {}}}}]
    obj = patch(cluster, [{"op": "test", "path": "/metadata/resourceVersion",
                           "value": created["metadata"]["resourceVersion"]},
                          {"op": "replace", "path": "/metadata/managedFields", "value": given}],
                bodies.JSON_PATCH, "kubectl")
    assert obj["metadata"]["managedFields"] == given
    assert obj["metadata"]["resourceVersion"] != created["metadata"]["resourceVersion"]


async def test_update_managers_beyond_ten_fold_into_ancient_changes(cluster: Cluster) -> None:
    cluster.objects.create(deployments(cluster), NS, manifest(), WriteOptions(field_manager="creator"))
    obj: Obj = {}
    for index in range(11):
        obj = patch(cluster, {"metadata": {"labels": {f"l{index}": "x"}}}, bodies.MERGE_PATCH, f"labeller-{index}")
    managers = [entry["manager"] for entry in obj["metadata"]["managedFields"]]
    assert len(managers) == 10
    assert "ancient-changes" in managers
    # All writes fall in one second, so the oldest are chosen by name: the creator, then labeller-0 and -1.
    assert not {"creator", "labeller-0", "labeller-1"} & set(managers)
    ancient = entries(obj)[("ancient-changes", "Update")]
    assert ancient["f:metadata"] == {"f:labels": {".": {}, "f:l0": {}, "f:l1": {}}}
    assert "f:spec" in ancient


async def test_apply_rejects_managed_fields_and_other_kinds(cluster: Cluster) -> None:
    with_managed = manifest()
    with_managed["metadata"]["managedFields"] = []
    with pytest.raises(status.ApiError) as raised:
        apply(cluster, with_managed)
    assert (raised.value.code, raised.value.message) == (400, "metadata.managedFields must be nil")
    with pytest.raises(status.ApiError) as wrong:
        apply(cluster, {**manifest(), "kind": "StatefulSet"})
    assert (wrong.value.code, wrong.value.message) == (400, "invalid object type: apps/v1, Kind=StatefulSet")


def test_merged_lists_follow_the_applied_order_for_shared_items() -> None:
    assert merged_order(["a", "b", "c"], ["c", "d"]) == ["a", "b", "c", "d"]
    assert merged_order(["a", "b", "c"], ["c", "a"]) == ["b", "c", "a"]
    assert merged_order([], ["x", "y"]) == ["x", "y"]
    assert merged_order(["x", "y"], []) == ["x", "y"]
