"""kube-state-metrics' pod families (docs/metrics/workload/pod-metrics.md): info, owner, labels, phase,
readiness, scheduling, container states and reasons, restarts, requests and limits, with the labels
kube-state-metrics v2 attaches (`namespace`, `pod`, `uid`, `container`, ...). Values come from stored pods.
"""

from __future__ import annotations

from collections.abc import Iterable

from kubegenie.sandbox.metricsource import parse_quantity
from kubegenie.sandbox.sim.kube import condition, seconds
from kubegenie.sandbox.store import Obj
from kubegenie.sandbox.telemetry.exposition import Family, sanitize

PHASES = ("Pending", "Succeeded", "Failed", "Unknown", "Running")
CONDITION_VALUES = (("true", "True"), ("false", "False"), ("unknown", "Unknown"))


def resource_labels(name: str) -> tuple[str, str]:
    """(resource, unit) labels of a resource name, as kube-state-metrics spells them."""
    if name == "cpu":
        return "cpu", "core"
    if name in ("memory", "ephemeral-storage") or name.startswith(("hugepages-", "attachable-volumes-")):
        return sanitize(name), "byte"
    return sanitize(name), "integer"


def quantity_value(value: object) -> float | None:
    amount = parse_quantity(value)
    return float(amount) if amount is not None else None


class PodFamilies:
    """Accumulates the pod families over a list of pods."""

    def __init__(self) -> None:
        gauge = "gauge"
        self.info = Family("kube_pod_info", gauge, "Information about pod.")
        self.owner = Family("kube_pod_owner", gauge, "Information about the Pod's owner.")
        self.labels = Family("kube_pod_labels", gauge, "Kubernetes labels converted to Prometheus labels.")
        self.created = Family("kube_pod_created", gauge, "Unix creation timestamp")
        self.start_time = Family("kube_pod_start_time", gauge, "Start time in unix timestamp for a pod.")
        self.phase = Family("kube_pod_status_phase", gauge, "The pods current phase.")
        self.ready = Family("kube_pod_status_ready", gauge, "Describes whether the pod is ready to serve requests.")
        self.scheduled = Family("kube_pod_status_scheduled", gauge,
                                "Describes the status of the scheduling process for the pod.")
        self.unschedulable = Family("kube_pod_status_unschedulable", gauge,
                                    "Describes the unschedulable status for the pod.")
        self.reason = Family("kube_pod_status_reason", gauge, "The pod status reasons")
        self.qos = Family("kube_pod_status_qos_class", gauge, "The pods current qosClass.")
        self.container_info = Family("kube_pod_container_info", gauge, "Information about a container in a pod.")
        self.c_ready = Family("kube_pod_container_status_ready", gauge,
                              "Describes whether the containers readiness check succeeded.")
        self.c_running = Family("kube_pod_container_status_running", gauge,
                                "Describes whether the container is currently in running state.")
        self.c_waiting = Family("kube_pod_container_status_waiting", gauge,
                                "Describes whether the container is currently in waiting state.")
        self.c_terminated = Family("kube_pod_container_status_terminated", gauge,
                                   "Describes whether the container is currently in terminated state.")
        self.waiting_reason = Family("kube_pod_container_status_waiting_reason", gauge,
                                     "Describes the reason the container is currently in waiting state.")
        self.terminated_reason = Family("kube_pod_container_status_terminated_reason", gauge,
                                        "Describes the reason the container is currently in terminated state.")
        self.last_reason = Family("kube_pod_container_status_last_terminated_reason", gauge,
                                  "Describes the last reason the container was in terminated state.")
        self.last_exitcode = Family("kube_pod_container_status_last_terminated_exitcode", gauge,
                                    "Describes the exit code for the last container in terminated state.")
        self.restarts = Family("kube_pod_container_status_restarts_total", "counter",
                               "The number of container restarts per container.")
        self.requests = Family("kube_pod_container_resource_requests", gauge,
                               "The number of requested request resource by a container.")
        self.limits = Family("kube_pod_container_resource_limits", gauge,
                             "The number of requested limit resource by a container.")
        self.claims = Family("kube_pod_spec_volumes_persistentvolumeclaims_info", gauge,
                             "Information about persistentvolumeclaim volumes in a pod.")

    def families(self) -> list[Family]:
        return [self.info, self.owner, self.labels, self.created, self.start_time, self.phase, self.ready,
                self.scheduled, self.unschedulable, self.reason, self.qos, self.container_info, self.c_ready,
                self.c_running, self.c_waiting, self.c_terminated, self.waiting_reason, self.terminated_reason,
                self.last_reason, self.last_exitcode, self.restarts, self.requests, self.limits, self.claims]

    def add(self, pod: Obj) -> None:
        meta, spec, status = pod["metadata"], pod.get("spec") or {}, pod.get("status") or {}
        base = (("namespace", str(meta.get("namespace", ""))), ("pod", str(meta["name"])),
                ("uid", str(meta.get("uid", ""))))
        owners = meta.get("ownerReferences") or []
        controller = next((ref for ref in owners if ref.get("controller")), owners[0] if owners else None)
        node = str(spec.get("nodeName") or "")
        self.info.add_labels((*base, ("host_ip", str(status.get("hostIP", ""))),
                              ("pod_ip", str(status.get("podIP", ""))), ("node", node),
                              ("created_by_kind", str((controller or {}).get("kind", "<none>"))),
                              ("created_by_name", str((controller or {}).get("name", "<none>"))),
                              ("priority_class", str(spec.get("priorityClassName", ""))),
                              ("host_network", "true" if spec.get("hostNetwork") else "false")), 1)
        if owners:
            for ref in owners:
                self.owner.add_labels((*base, ("owner_kind", str(ref.get("kind", ""))),
                                       ("owner_name", str(ref.get("name", ""))),
                                       ("owner_is_controller", "true" if ref.get("controller") else "false")), 1)
        else:
            self.owner.add_labels((*base, ("owner_kind", "<none>"), ("owner_name", "<none>"),
                                   ("owner_is_controller", "<none>")), 1)
        self.labels.add_labels(base + tuple((f"label_{sanitize(k)}", str(v))
                                            for k, v in sorted((meta.get("labels") or {}).items())), 1)
        created = seconds(meta.get("creationTimestamp"))
        if created is not None:
            self.created.add_labels(base, created)
        started = seconds(status.get("startTime"))
        if started is not None:
            self.start_time.add_labels(base, started)
        phase = status.get("phase")
        if phase:
            for candidate in PHASES:
                self.phase.add_labels((*base, ("phase", candidate)), 1 if candidate == phase else 0)
        self._condition(self.ready, base, condition(pod, "Ready"))
        scheduled = condition(pod, "PodScheduled")
        self._condition(self.scheduled, base, scheduled)
        if scheduled and scheduled.get("status") == "False" and scheduled.get("reason") == "Unschedulable":
            self.unschedulable.add_labels(base, 1)
        if status.get("reason"):
            self.reason.add_labels((*base, ("reason", str(status["reason"]))), 1)
        if status.get("qosClass"):
            for qos in ("BestEffort", "Burstable", "Guaranteed"):
                self.qos.add_labels((*base, ("qos_class", qos)), 1 if qos == status["qosClass"] else 0)
        for volume in spec.get("volumes") or []:
            claim = (volume.get("persistentVolumeClaim") or {}).get("claimName")
            if claim:
                self.claims.add_labels((*base, ("volume", str(volume.get("name", ""))),
                                        ("persistentvolumeclaim", str(claim))), 1)
        self._containers(spec, status, base, node)

    def _condition(self, family: Family, base: tuple[tuple[str, str], ...], cond: Obj | None) -> None:
        if cond is None:
            return
        for label, value in CONDITION_VALUES:
            family.add_labels((*base, ("condition", label)), 1 if cond.get("status") == value else 0)

    def _containers(self, spec: Obj, status: Obj, base: tuple[tuple[str, str], ...], node: str) -> None:
        statuses = {s.get("name"): s for s in status.get("containerStatuses") or []}
        for container in spec.get("containers") or []:
            name = str(container.get("name", ""))
            labels = (*base, ("container", name))
            found = statuses.get(name)
            resources = container.get("resources") or {}
            for family, values in ((self.requests, resources.get("requests") or {}),
                                   (self.limits, resources.get("limits") or {})):
                for resource, raw in sorted(values.items()):
                    value = quantity_value(raw)
                    if value is not None:
                        label, unit = resource_labels(resource)
                        family.add_labels((*labels, ("node", node), ("resource", label), ("unit", unit)), value)
            if found is None:
                continue
            self.container_info.add_labels((*labels, ("image_spec", str(container.get("image", ""))),
                                            ("image", str(found.get("image", ""))),
                                            ("image_id", str(found.get("imageID", ""))),
                                            ("container_id", str(found.get("containerID", "")))), 1)
            state = found.get("state") or {}
            self.c_ready.add_labels(labels, 1 if found.get("ready") else 0)
            self.c_running.add_labels(labels, 1 if "running" in state else 0)
            self.c_waiting.add_labels(labels, 1 if "waiting" in state else 0)
            self.c_terminated.add_labels(labels, 1 if "terminated" in state else 0)
            self.restarts.add_labels(labels, float(found.get("restartCount") or 0))
            waiting = (state.get("waiting") or {}).get("reason")
            if waiting:
                self.waiting_reason.add_labels((*labels, ("reason", str(waiting))), 1)
            terminated = (state.get("terminated") or {}).get("reason")
            if terminated:
                self.terminated_reason.add_labels((*labels, ("reason", str(terminated))), 1)
            last = (found.get("lastState") or {}).get("terminated") or {}
            if last.get("reason"):
                self.last_reason.add_labels((*labels, ("reason", str(last["reason"]))), 1)
            if last.get("exitCode") is not None:
                self.last_exitcode.add_labels(labels, float(last["exitCode"]))


def pod_families(pods: Iterable[Obj]) -> list[Family]:
    families = PodFamilies()
    for pod in pods:
        families.add(pod)
    return families.families()
