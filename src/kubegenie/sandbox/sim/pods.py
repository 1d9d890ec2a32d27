"""What a kubelet knows about the pods it runs (sandbox, containers, restarts, back-offs) and how that turns
into `pod.status` exactly as the kubelet writes it: phase, conditions, container statuses with state,
lastState, restartCount, ready and started. The state machine that advances containers lives in kubelet.py.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from kubegenie.sandbox.sim.annotations import Behaviour
from kubegenie.sandbox.sim.images import parse
from kubegenie.sandbox.sim.kube import set_condition, timestamp
from kubegenie.sandbox.store import Obj


def container_id(uid: str, name: str, instance: int) -> str:
    """The ID the simulated kubelet gives the n-th (1-based) instance of a container."""
    return "containerd://" + hashlib.sha256(f"{uid}/{name}/{instance}".encode()).hexdigest()


@dataclass
class ContainerRun:
    """One start of a container: what a log source needs to tell current from previous logs."""

    container_id: str
    started_at: float
    finished_at: float | None = None
    exit_code: int | None = None
    reason: str | None = None


@dataclass
class ContainerState:
    name: str
    init: bool
    image: str
    pull_policy: str
    behaviour: Behaviour
    phase: str = "new"
    """new | pulling | pull-failed | pull-backoff | create | config-error | running | crash-backoff | done | dead
    | never-pull"""
    due: float | None = None
    waiting_reason: str = "ContainerCreating"
    waiting_message: str | None = None
    running_since: float | None = None
    terminated: Obj | None = None
    last_terminated: Obj | None = None
    restart_count: int = 0
    instances: int = 0
    container_id: str = ""
    image_id: str = ""
    ready: bool = False
    ready_at: float | None = None
    next_probe: float | None = None
    exit_code: int | None = None
    exit_reason: str = "Error"
    backoff: float = 0.0
    backoff_updated: float = 0.0
    pull_backoff: float = 0.0
    pull_backoff_updated: float = 0.0
    pull_took: float = 0.0
    pull_waited: float = 0.0
    next_backoff_event: float | None = None
    runs: list[ContainerRun] = field(default_factory=list)

    @property
    def field_path(self) -> str:
        return f"spec.{'initContainers' if self.init else 'containers'}{{{self.name}}}"

    @property
    def in_backoff(self) -> bool:
        return self.phase in ("crash-backoff", "pull-backoff", "pull-failed")


@dataclass
class PodRuntime:
    uid: str
    namespace: str
    name: str
    node: str
    restart_policy: str
    containers: dict[str, ContainerState]
    ip: str | None = None
    started_at: float = 0.0
    sandbox_ready_at: float | None = None
    volumes_mounted: bool = False
    mount_retries: dict[str, tuple[float, float]] = field(default_factory=dict)
    """Volume that failed to set up -> (when the volume manager tries it again, its current back-off)."""
    mount_wait_started: float | None = None
    kill_at: float | None = None
    terminal: bool = False
    deleted: bool = False

    @property
    def init_containers(self) -> list[ContainerState]:
        return [c for c in self.containers.values() if c.init]

    @property
    def main_containers(self) -> list[ContainerState]:
        return [c for c in self.containers.values() if not c.init]

    @property
    def initialized(self) -> bool:
        return all(c.phase == "done" for c in self.init_containers)

    @property
    def full_name(self) -> str:
        """`name_namespace(uid)`, the kubelet's format.Pod()."""
        return f"{self.name}_{self.namespace}({self.uid})"


_WAITING_PHASES = ("crash-backoff", "pull-backoff", "pull-failed", "never-pull", "config-error")


def _state(c: ContainerState) -> Obj:
    if c.phase == "running" and c.running_since is not None:
        return {"running": {"startedAt": timestamp(c.running_since)}}
    # An exited container stays the current state until its replacement is created (or back-off begins).
    if c.terminated is not None and c.phase not in _WAITING_PHASES:
        return {"terminated": dict(c.terminated)}
    waiting: Obj = {"reason": c.waiting_reason}
    if c.waiting_message:
        waiting["message"] = c.waiting_message
    return {"waiting": waiting}


def container_status(c: ContainerState, spec: Obj, minor: int) -> Obj:
    ref = parse(c.image)
    status: Obj = {}
    if c.container_id:
        status["containerID"] = c.container_id
    status["image"] = ref.name if c.image_id else c.image
    status["imageID"] = c.image_id
    status["lastState"] = {"terminated": dict(c.last_terminated)} if c.last_terminated else {}
    status["name"] = c.name
    status["ready"] = c.ready
    status["restartCount"] = c.restart_count
    status["started"] = c.phase == "running"
    status["state"] = _state(c)
    if minor >= 31:
        mounts = [{k: v for k, v in m.items() if k in ("mountPath", "name", "readOnly")}
                  for m in spec.get("volumeMounts") or [] if isinstance(m, dict)]
        for mount in mounts:
            if mount.get("readOnly"):
                mount["recursiveReadOnly"] = "Disabled"
        if mounts:
            status["volumeMounts"] = mounts
    return status


def pod_phase(rt: PodRuntime) -> str:
    """The kubelet's getPhase over the runtime's container states."""
    for c in rt.init_containers:
        if c.phase == "dead" and rt.restart_policy == "Never":
            return "Failed"
    if not rt.initialized:
        return "Pending"
    running = waiting = stopped = succeeded = 0
    for c in rt.main_containers:
        state = _state(c)
        if "running" in state:
            running += 1
        elif "terminated" in state:
            stopped += 1
            if state["terminated"].get("exitCode") == 0:
                succeeded += 1
        elif c.last_terminated is not None:
            stopped += 1
        else:
            waiting += 1
    if waiting:
        return "Pending"
    if running:
        return "Running"
    if stopped:
        if rt.restart_policy == "Always":
            return "Running"
        if stopped == succeeded:
            return "Succeeded"
        if rt.restart_policy == "Never":
            return "Failed"
        return "Running"
    return "Pending"


KUBELET_CONDITIONS = ("PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled")


def pod_conditions(rt: PodRuntime, current: list[Obj], phase: str, now: str, readiness_gates: list[Obj]) -> list[Obj]:
    """Conditions in the kubelet's order; PodScheduled and other writers' conditions are kept as they are."""
    extra = {"lastProbeTime": None}
    conditions = [c for c in current if c.get("type") in KUBELET_CONDITIONS]
    others = [c for c in current if c.get("type") not in KUBELET_CONDITIONS]
    gate_states = {str(c.get("type")): c.get("status") == "True" for c in others}
    sandbox = rt.sandbox_ready_at is not None and not rt.terminal
    conditions = set_condition(conditions, "PodReadyToStartContainers", "True" if sandbox else "False", None,
                               None, now, extra)
    incomplete = [c.name for c in rt.init_containers if c.phase != "done"]
    if phase == "Succeeded" and not incomplete:
        conditions = set_condition(conditions, "Initialized", "True", "PodCompleted", None, now, extra)
    elif incomplete:
        conditions = set_condition(conditions, "Initialized", "False", "ContainersNotInitialized",
                                   f"containers with incomplete status: [{' '.join(incomplete)}]", now, extra)
    else:
        conditions = set_condition(conditions, "Initialized", "True", None, None, now, extra)
    unready = [c.name for c in rt.main_containers if not c.ready]
    if phase == "Succeeded":
        ready_state, reason, message = "False", "PodCompleted", None
    elif unready:
        ready_state, reason = "False", "ContainersNotReady"
        message = f"containers with unready status: [{' '.join(unready)}]"
    else:
        ready_state, reason, message = "True", None, None
    conditions = set_condition(conditions, "ContainersReady", ready_state, reason, message, now, extra)
    missing_gates = [g.get("conditionType", "") for g in readiness_gates if not gate_states.get(
        str(g.get("conditionType", "")), False)]
    if ready_state == "True" and missing_gates:
        conditions = set_condition(conditions, "Ready", "False", "ReadinessGatesNotReady",
                                   f"corresponding condition of pod readiness gate \"{missing_gates[0]}\" does "
                                   f"not exist.", now, extra)
    else:
        conditions = set_condition(conditions, "Ready", ready_state, reason, message, now, extra)
    if not any(c.get("type") == "PodScheduled" for c in conditions):
        # A pod given a nodeName directly never met the scheduler; the kubelet reports it scheduled.
        conditions = set_condition(conditions, "PodScheduled", "True", None, None, now, extra)
    conditions.sort(key=lambda c: KUBELET_CONDITIONS.index(str(c.get("type"))))
    return conditions + others
