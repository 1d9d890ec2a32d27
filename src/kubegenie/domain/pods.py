"""How a pod is doing, computed exactly as `kubectl get pods` prints it: READY "n/m", the STATUS reason
(waiting and terminated reasons, Init:N/M, sidecars, Terminating, Unknown for lost nodes), RESTARTS and
when the last restart happened. Pure functions over the pod's JSON, shared by the sandbox and the agents."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from kubegenie.domain import quantity
from kubegenie.domain.durations import parse_rfc3339

Obj = dict[str, Any]

_NODE_UNREACHABLE_REASON = "NodeLost"


def _finished_at(status: Obj) -> datetime | None:
    terminated = (status.get("lastState") or {}).get("terminated") or {}
    finished = terminated.get("finishedAt")
    return parse_rfc3339(finished) if finished else None


def _later(current: datetime | None, candidate: datetime | None) -> datetime | None:
    if candidate is None:
        return current
    return candidate if current is None or candidate > current else current


def _condition_true(pod_status: Obj, condition_type: str) -> bool:
    for condition in pod_status.get("conditions") or []:
        if condition.get("type") == condition_type:
            return bool(condition.get("status") == "True")
    return False


def _terminated_reason(terminated: Obj, prefix: str = "") -> str:
    if terminated.get("reason"):
        return prefix + str(terminated["reason"])
    if terminated.get("signal"):
        return f"{prefix}Signal:{terminated['signal']}"
    return f"{prefix}ExitCode:{terminated.get('exitCode', 0)}"


def pod_summary(pod: Obj) -> tuple[str, str, int, datetime | None]:
    """(ready "n/m", status reason, restarts, last restart time) of one pod."""
    spec = pod.get("spec") or {}
    pod_status = pod.get("status") or {}
    phase = str(pod_status.get("phase") or "")
    reason = str(pod_status.get("reason") or phase)
    for condition in pod_status.get("conditions") or []:
        if condition.get("type") == "PodScheduled" and condition.get("reason") == "SchedulingGated":
            reason = "SchedulingGated"
    init_specs = {c.get("name"): c for c in spec.get("initContainers") or [] if isinstance(c, dict)}
    sidecars = {name for name, c in init_specs.items() if c.get("restartPolicy") == "Always"}
    total = len(spec.get("containers") or []) + len(sidecars)
    ready = 0
    restarts = sidecar_restarts = 0
    last_restart: datetime | None = None
    last_sidecar_restart: datetime | None = None

    initializing = False
    init_statuses = pod_status.get("initContainerStatuses") or []
    for index, container in enumerate(init_statuses):
        state = container.get("state") or {}
        restarts += int(container.get("restartCount") or 0)
        last_restart = _later(last_restart, _finished_at(container))
        is_sidecar = container.get("name") in sidecars
        if is_sidecar:
            sidecar_restarts += int(container.get("restartCount") or 0)
            last_sidecar_restart = _later(last_sidecar_restart, _finished_at(container))
        terminated, waiting = state.get("terminated"), state.get("waiting")
        if terminated is not None and int(terminated.get("exitCode") or 0) == 0:
            continue
        if is_sidecar and container.get("started"):
            if container.get("ready"):
                ready += 1
            continue
        if terminated is not None:
            reason = _terminated_reason(terminated, "Init:")
        elif waiting is not None and waiting.get("reason") and waiting["reason"] != "PodInitializing":
            reason = f"Init:{waiting['reason']}"
        else:
            reason = f"Init:{index}/{len(init_specs)}"
        initializing = True
        break

    if not initializing or _condition_true(pod_status, "Initialized"):
        restarts, last_restart = sidecar_restarts, last_sidecar_restart
        has_running = False
        for container in reversed(pod_status.get("containerStatuses") or []):
            state = container.get("state") or {}
            restarts += int(container.get("restartCount") or 0)
            last_restart = _later(last_restart, _finished_at(container))
            waiting, terminated = state.get("waiting"), state.get("terminated")
            if waiting is not None and waiting.get("reason"):
                reason = str(waiting["reason"])
            elif terminated is not None:
                reason = _terminated_reason(terminated)
            elif container.get("ready") and state.get("running") is not None:
                has_running = True
                ready += 1
        # A pod whose finished container says Completed is still Running while another container runs.
        if reason == "Completed" and has_running:
            reason = "Running" if _condition_true(pod_status, "Ready") else "NotReady"

    deleting = bool((pod.get("metadata") or {}).get("deletionTimestamp"))
    if deleting and pod_status.get("reason") == _NODE_UNREACHABLE_REASON:
        reason = "Unknown"
    elif deleting and phase not in ("Succeeded", "Failed"):
        reason = "Terminating"
    return f"{ready}/{total}", reason, restarts, last_restart


HEALTHY_REASONS = frozenset({"Running", "Completed", "Succeeded", "ContainerCreating", "PodInitializing",
                             "Terminating"})


def pod_state(pod: Obj) -> str:
    """One word for how a pod is doing: running, completed, pending, failing or not_ready."""
    ready, reason, _, _ = pod_summary(pod)
    phase = (pod.get("status") or {}).get("phase")
    ready_count, total = (int(part) for part in ready.split("/"))
    if phase == "Succeeded" or reason == "Completed":
        return "completed"
    if phase == "Failed" or (reason not in HEALTHY_REASONS and reason != "Pending"):
        return "failing"
    if phase == "Pending" or reason == "Pending":
        return "pending"
    if ready_count < total:
        return "not_ready"
    return "running"


def pod_requests(pod: Obj) -> tuple[int, int]:
    """(CPU millicores, memory bytes) the pod's containers request; finished pods request nothing."""
    if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
        return 0, 0
    cpu = memory = 0
    for container in (pod.get("spec") or {}).get("containers") or []:
        requests = (container.get("resources") or {}).get("requests") or {}
        if "cpu" in requests:
            cpu += quantity.cpu_millicores(requests["cpu"])
        if "memory" in requests:
            memory += quantity.memory_bytes(requests["memory"])
    return cpu, memory
