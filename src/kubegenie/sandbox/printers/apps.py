"""Printers for apps/v1 (deployments, replicasets, statefulsets, daemonsets, controllerrevisions) and the
core ReplicationController, with the columns and cells of the apiserver's printers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubegenie.sandbox.printers.cells import (
    NONE,
    controller_of,
    group_kind_name,
    labels_text,
    pod_template_containers,
    selector_text,
)
from kubegenie.sandbox.printers.table import AGE, NAME, Column, Printer, age, register
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

CONTAINERS = Column("Containers", priority=1, description="Names of each container in the template.")
IMAGES = Column("Images", priority=1, description="Images referenced by each container in the template.")


def _count(section: Obj, key: str) -> int:
    return int(section.get(key) or 0)


def _deployment(cluster: Cluster, obj: Obj) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = pod_template_containers(spec.get("template"))
    selector = selector_text(spec.get("selector"))
    return [obj["metadata"]["name"], f"{_count(status, 'readyReplicas')}/{_count(spec, 'replicas')}",
            _count(status, "updatedReplicas"), _count(status, "availableReplicas"), age(cluster, obj),
            names, images, "" if selector == NONE else selector]


register("apps/deployments")(Printer([
    NAME,
    Column("Ready", description="Number of the pod with ready state"),
    Column("Up-to-date", description="Total number of non-terminated pods targeted by this deployment that have "
                                     "the desired template spec."),
    Column("Available", description="Total number of available pods (ready for at least minReadySeconds) "
                                    "targeted by this deployment."),
    AGE, CONTAINERS, IMAGES,
    Column("Selector", priority=1, description="Label selector for pods. Existing ReplicaSets whose pods are "
                                               "selected by this will be the ones affected by this deployment."),
], _deployment))


def _replica_set(cluster: Cluster, obj: Obj) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = pod_template_containers(spec.get("template"))
    selector = spec.get("selector")
    # ReplicationControllers select with a plain map, ReplicaSets with a LabelSelector.
    selector_cell = labels_text(selector) if obj.get("kind") == "ReplicationController" else selector_text(selector)
    return [obj["metadata"]["name"], _count(spec, "replicas"), _count(status, "replicas"),
            _count(status, "readyReplicas"), age(cluster, obj), names, images, selector_cell]


_REPLICA_COLUMNS = [
    NAME,
    Column("Desired", type="integer", description="Replicas is the number of desired replicas."),
    Column("Current", type="integer", description="Replicas is the most recently observed number of replicas."),
    Column("Ready", type="integer", description="The number of ready replicas for this replica set."),
    AGE, CONTAINERS, IMAGES,
    Column("Selector", priority=1, description="Selector is a label query over pods that should match the "
                                               "replica count."),
]
register("apps/replicasets", "replicationcontrollers")(Printer(_REPLICA_COLUMNS, _replica_set))


def _stateful_set(cluster: Cluster, obj: Obj) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    names, images = pod_template_containers(spec.get("template"))
    return [obj["metadata"]["name"], f"{_count(status, 'readyReplicas')}/{_count(spec, 'replicas')}",
            age(cluster, obj), names, images]


register("apps/statefulsets")(Printer([
    NAME, Column("Ready", description="Number of the pod with ready state"), AGE, CONTAINERS, IMAGES,
], _stateful_set))


def _daemon_set(cluster: Cluster, obj: Obj) -> list[Any]:
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    template = spec.get("template") or {}
    names, images = pod_template_containers(template)
    node_selector = labels_text((template.get("spec") or {}).get("nodeSelector"))
    return [obj["metadata"]["name"], _count(status, "desiredNumberScheduled"),
            _count(status, "currentNumberScheduled"), _count(status, "numberReady"),
            _count(status, "updatedNumberScheduled"), _count(status, "numberAvailable"), node_selector,
            age(cluster, obj), names, images, selector_text(spec.get("selector"))]


register("apps/daemonsets")(Printer([
    NAME,
    Column("Desired", type="integer", description="The total number of nodes that should be running the daemon "
                                                  "pod (including nodes correctly running the daemon pod)."),
    Column("Current", type="integer", description="The number of nodes that are running at least 1 daemon pod "
                                                  "and are supposed to run the daemon pod."),
    Column("Ready", type="integer", description="The number of nodes that should be running the daemon pod and "
                                                "have one or more of the daemon pod running and ready."),
    Column("Up-to-date", type="integer", description="The total number of nodes that are running updated daemon "
                                                     "pod"),
    Column("Available", type="integer", description="The number of nodes that should be running the daemon pod "
                                                    "and have one or more of the daemon pod running and available "
                                                    "(ready for at least spec.minReadySeconds)"),
    Column("Node Selector", description="NodeSelector is a selector which must be true for the pod to fit on a "
                                        "node."),
    AGE, CONTAINERS, IMAGES,
    Column("Selector", priority=1, description="A label query over pods that are managed by the daemon set."),
], _daemon_set))


def _controller_revision(cluster: Cluster, obj: Obj) -> list[Any]:
    controller = controller_of(obj)
    owner = NONE if controller is None else group_kind_name(str(controller.get("apiVersion", "")),
                                                            str(controller.get("kind", "")),
                                                            str(controller.get("name", "")))
    return [obj["metadata"]["name"], owner, int(obj.get("revision") or 0), age(cluster, obj)]


register("apps/controllerrevisions")(Printer([
    NAME,
    Column("Controller", description="Controller of the object"),
    Column("Revision", description="Revision indicates the revision of the state represented by Data."),
    AGE,
], _controller_revision))
