"""The pod half of every simulated kubelet: admits pods bound to its node, mounts their volumes (FailedMount,
retried, while a ConfigMap or Secret is missing), pulls images, creates containers (CreateContainerConfigError
while their environment names something missing), runs and exits them as their annotations declare, restarts
them with back-off (CrashLoopBackOff), fails readiness probes on request, runs init containers in order,
finishes graceful deletions and writes `pod.status` and events, driven by pod changes and timers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from kubegenie.domain import quantity
from kubegenie.sandbox.sim import images, podconfig, usage
from kubegenie.sandbox.sim.annotations import pod_behaviours
from kubegenie.sandbox.sim.controller import Controller
from kubegenie.sandbox.sim.kube import Key, go_duration, key_of, pod_terminal, seconds, timestamp
from kubegenie.sandbox.sim.nodeagent import KubeletNodes, NodeAgent
from kubegenie.sandbox.sim.pods import (
    ContainerRun,
    ContainerState,
    PodRuntime,
    container_id,
    container_status,
    pod_conditions,
    pod_phase,
)
from kubegenie.sandbox.store import Change, Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.sim import Simulation

__all__ = ["ContainerRun", "Kubelet", "pod_grace_period"]

SANDBOX_SECONDS = 1.0
BACKOFF_INITIAL = 10.0
BACKOFF_MAX = 300.0
RESYNC = (10.0, 15.0)
"""The pod worker re-syncs a pod in back-off every 10-15 s (backOffPeriod with jitter), recording BackOff."""
PULL_FAILURE_SECONDS = (0.4, 1.5)
KILL_SECONDS = 1.0
DEFAULT_PROBE_PERIOD = 10.0
MOUNT_RETRY = (0.5, 122.0)
"""The volume manager retries a failed mount after 500 ms, doubling to 2m2s (exponential back-off)."""
MOUNT_WAIT_TIMEOUT = 123.0
"""How long a pod worker waits for its volumes before giving up on this sync (and, up to 1.27, saying so)."""


def pod_grace_period(pod: Obj, requested: int | None) -> int:
    """The apiserver's graceful-delete rule for pods: the requested period, else the pod's own, and 0 for pods
    that are not on a node or already finished."""
    spec = pod.get("spec") or {}
    period = requested if requested is not None else int(spec.get("terminationGracePeriodSeconds") or 0)
    if not spec.get("nodeName") or pod_terminal(pod):
        return 0
    return 1 if period < 0 else period


class Kubelet(Controller):
    """Runs the containers of pods bound to simulated nodes."""

    name = "kubelet"
    manager = "kubelet"
    primary = "pods"
    watches = ("pods",)

    def __init__(self, sim: Simulation) -> None:
        super().__init__(sim)
        self.nodes = KubeletNodes(sim, self._node_changed)
        self.pods: dict[Key, PodRuntime] = {}
        self.minor = self.cluster.version.minor

    # --- feeding -------------------------------------------------------------------------------------------

    def on_change(self, change: Change) -> None:
        if change.key != "pods":
            return
        old, new = change.old, change.obj
        if change.type != "MODIFIED" or old is None:
            self.enqueue(key_of(new))
            return
        # The kubelet's own status writes (and the scheduler's condition) are not updates of the pod.
        if old.get("spec") != new.get("spec") \
                or old["metadata"].get("deletionTimestamp") != new["metadata"].get("deletionTimestamp") \
                or old["metadata"].get("annotations") != new["metadata"].get("annotations"):
            self.enqueue(key_of(new))

    def _node_changed(self, node: str) -> None:
        for pod in self.sim.pods.on_node(node):
            self.enqueue(key_of(pod))

    # --- facts ---------------------------------------------------------------------------------------------

    def container_runs(self, namespace: str, pod: str, container: str) -> list[ContainerRun]:
        rt = self.pods.get((namespace, pod))
        state = rt.containers.get(container) if rt else None
        return list(state.runs) if state else []

    def usage(self, namespace: str, name: str, container: str, at: float) -> tuple[float, float] | None:
        rt = self.pods.get((namespace, name))
        state = rt.containers.get(container) if rt else None
        pod = self.store.get("pods", namespace, name)
        if rt is None or state is None or pod is None or state.phase != "running" or state.running_since is None:
            return None
        sample = usage.container_sample(pod, _container_spec(pod, state), self.sim.seed, at, state.running_since)
        return float(sample.cpu * 1000), float(sample.memory)

    def running_pods(self) -> list[PodRuntime]:
        return [rt for rt in self.pods.values() if not rt.terminal]

    # --- reconcile -----------------------------------------------------------------------------------------

    def reconcile(self, key: Key) -> None:
        pod = self.get(key)
        rt = self.pods.get(key)
        if rt is not None and (pod is None or pod["metadata"]["uid"] != rt.uid):
            self._forget(key)
            rt = None
        if pod is None:
            return
        node = (pod.get("spec") or {}).get("nodeName")
        agent = self.nodes.agents.get(node) if node else None
        if agent is None or not agent.alive or not agent.registered:
            return
        if rt is None:
            if pod["metadata"].get("deletionTimestamp"):
                self.writer.delete("pods", pod, grace=0)
                return
            if pod_terminal(pod):
                return
            rt = self._admit(pod, agent)
            if rt is None:
                return
            self.pods[key] = rt
        self._sync(pod, rt, agent)

    def _forget(self, key: Key) -> None:
        rt = self.pods.pop(key, None)
        if rt is not None:
            agent = self.nodes.agents.get(rt.node)
            if agent is not None:
                agent.release_ip(rt.ip)

    def _admit(self, pod: Obj, agent: NodeAgent) -> PodRuntime | None:
        spec = pod.get("spec") or {}
        host_network = bool(spec.get("hostNetwork"))
        if not host_network and agent.cidr is None:
            return None  # no podCIDR yet: the network plugin cannot set up a sandbox
        behaviours = pod_behaviours(pod)
        has_init = bool(spec.get("initContainers"))
        containers: dict[str, ContainerState] = {}
        for init, section in ((True, "initContainers"), (False, "containers")):
            for c in spec.get(section) or []:
                containers[c["name"]] = ContainerState(
                    c["name"], init, str(c.get("image", "")), str(c.get("imagePullPolicy") or "IfNotPresent"),
                    behaviours[c["name"]], waiting_reason="PodInitializing" if has_init else "ContainerCreating")
        meta = pod["metadata"]
        rt = PodRuntime(meta["uid"], meta["namespace"], meta["name"], agent.name,
                        str(spec.get("restartPolicy") or "Always"), containers, started_at=self.now())
        rt.ip = agent.host_ip if host_network else agent.allocate_ip((pod.get("status") or {}).get("podIP"))
        self._adopt(pod, rt)
        return rt

    def _adopt(self, pod: Obj, rt: PodRuntime) -> None:
        """Take over containers a previous kubelet left running (a pod loaded with its status)."""
        status = pod.get("status") or {}
        if status.get("phase") != "Running":
            return
        statuses = {s.get("name"): s for s in (status.get("initContainerStatuses") or [])
                    + (status.get("containerStatuses") or [])}
        start = seconds(status.get("startTime"))
        if start is not None:
            rt.started_at = start
        rt.sandbox_ready_at = rt.started_at
        for c in rt.containers.values():
            found = statuses.get(c.name) or {}
            state = found.get("state") or {}
            c.restart_count = c.instances = int(found.get("restartCount") or 0)
            c.last_terminated = (found.get("lastState") or {}).get("terminated")
            c.container_id = str(found.get("containerID") or "")
            c.image_id = str(found.get("imageID") or "")
            if "running" in state:
                c.instances += 1
                c.phase = "running"
                c.running_since = seconds(state["running"].get("startedAt")) or rt.started_at
                c.ready = bool(found.get("ready"))
                c.runs.append(ContainerRun(c.container_id, c.running_since))
                self._plan(pod, c, c.running_since)
            elif "terminated" in state and c.init:
                c.phase, c.terminated, c.ready = "done", state["terminated"], True

    # --- the pod worker ------------------------------------------------------------------------------------

    def _sync(self, pod: Obj, rt: PodRuntime, agent: NodeAgent) -> None:
        now = self.now()
        if pod["metadata"].get("deletionTimestamp"):
            self._terminate(pod, rt, agent, now)
            return
        if rt.terminal:
            return
        self._follow_spec(pod, rt, now)
        deadline = (pod.get("spec") or {}).get("activeDeadlineSeconds")
        if deadline is not None and now >= rt.started_at + float(deadline):
            self._deadline_exceeded(pod, rt, agent, now)
            return
        if rt.sandbox_ready_at is None and self._volumes_mounted(pod, rt, now):
            rt.sandbox_ready_at = now + SANDBOX_SECONDS
        if rt.sandbox_ready_at is not None and now >= rt.sandbox_ready_at:
            while True:
                pending = next((c for c in rt.init_containers if c.phase != "done"), None)
                if pending is None:
                    break
                self._advance(pod, rt, agent, pending, now)
                if pending.phase != "done":
                    break
            if rt.initialized:
                for c in rt.main_containers:
                    self._advance(pod, rt, agent, c, now)
            self._probe(pod, rt, now)
        phase = pod_phase(rt)
        if phase in ("Succeeded", "Failed"):
            rt.terminal = True
            if not (pod.get("spec") or {}).get("hostNetwork"):
                agent.release_ip(rt.ip)
        self._write_status(pod, rt, agent, phase, now)
        self._wake(rt, now)

    def _follow_spec(self, pod: Obj, rt: PodRuntime, now: float) -> None:
        """A changed image restarts its container, as the kubelet does when a container's spec hash changes."""
        for c in (pod.get("spec") or {}).get("containers") or []:
            state = rt.containers.get(c.get("name"))
            if state is None or state.image == c.get("image"):
                continue
            if state.phase == "running":
                self._event(pod, state, "Normal", "Killing",
                            f"Container {state.name} definition changed, will be restarted")
                self._stop(state, now, 0, "Completed")
                state.last_terminated, state.terminated = state.terminated, None
            state.image = str(c.get("image", ""))
            state.pull_policy = str(c.get("imagePullPolicy") or "IfNotPresent")
            state.phase, state.pull_backoff, state.image_id = "new", 0.0, ""

    def _advance(self, pod: Obj, rt: PodRuntime, agent: NodeAgent, c: ContainerState, now: float) -> None:
        """Move one container through every transition that is due by `now`."""
        for _ in range(16):
            if c.phase == "new":
                self._begin_pull(pod, agent, c, now)
            elif c.phase == "pulling":
                if c.due is not None and c.due > now:
                    return
                self._finish_pull(pod, agent, c, now)
            elif c.phase == "pull-failed":
                if c.due is not None and c.due > now:
                    return
                c.phase = "new"
            elif c.phase == "pull-backoff":
                if c.due is not None and now >= c.due:
                    c.phase, c.next_backoff_event = "new", None
                    continue
                if c.next_backoff_event is None or now >= c.next_backoff_event:
                    self._event(pod, c, "Normal", "BackOff", f'Back-off pulling image "{c.image}"')
                    self._event(pod, c, "Warning", "Failed", "Error: ImagePullBackOff")
                    c.next_backoff_event = now + self.sim.rng.uniform(*RESYNC)
                return
            elif c.phase == "create":
                self._create(pod, rt, c, now)
            elif c.phase == "config-error":
                if c.due is not None and c.due > now:
                    return
                c.phase = "new"
            elif c.phase == "running":
                if c.due is None or c.due > now:
                    return
                self._exit(rt, c, now)
            elif c.phase == "crash-backoff":
                if c.due is not None and now >= c.due:
                    c.backoff = min(c.backoff * 2, BACKOFF_MAX)
                    c.backoff_updated = now
                    c.phase, c.next_backoff_event = "new", None
                    continue
                if c.next_backoff_event is None or now >= c.next_backoff_event:
                    self._event(pod, c, "Warning", "BackOff", f"Back-off restarting failed container {c.name} in "
                                f"pod {rt.full_name}")
                    c.next_backoff_event = now + self.sim.rng.uniform(*RESYNC)
                return
            else:
                return

    # --- images --------------------------------------------------------------------------------------------

    def _begin_pull(self, pod: Obj, agent: NodeAgent, c: ContainerState, now: float) -> None:
        ref = images.parse(c.image)
        present = ref.name in agent.images
        if c.pull_policy == "Never" and not present:
            message = f'Container image "{c.image}" is not present with pull policy of Never'
            self._event(pod, c, "Warning", "ErrImageNeverPull", message)
            c.phase, c.waiting_reason, c.waiting_message = "never-pull", "ErrImageNeverPull", message
            return
        if present and c.pull_policy != "Always":
            self._event(pod, c, "Normal", "Pulled", f'Container image "{c.image}" already present on machine')
            c.phase = "create"
            return
        if c.pull_backoff and now - c.pull_backoff_updated < c.pull_backoff:
            c.phase, c.due = "pull-backoff", c.pull_backoff_updated + c.pull_backoff
            c.waiting_reason, c.waiting_message = "ImagePullBackOff", f'Back-off pulling image "{c.image}"'
            c.next_backoff_event = None
            return
        self._event(pod, c, "Normal", "Pulling", f'Pulling image "{c.image}"')
        if images.pull_error(c.image) is not None:
            c.phase, c.due = "pulling", now + self.sim.rng.uniform(*PULL_FAILURE_SECONDS)
            return
        name = images.parse(c.image).name
        in_flight = agent.pulling.get(name)
        if in_flight is not None and in_flight > now:
            # The layers are on their way already: this pull only waits for them, then verifies.
            took = self.sim.rng.uniform(0.05, 0.3)
            start = in_flight
        else:
            start = max(now, agent.pull_free_at)
            took = images.pull_seconds(c.image) * self.sim.rng.uniform(0.8, 1.2)
            agent.pull_free_at = start + took
            agent.pulling[name] = start + took
        c.phase, c.due = "pulling", start + took
        c.pull_took, c.pull_waited = took, start + took - now

    def _finish_pull(self, pod: Obj, agent: NodeAgent, c: ContainerState, now: float) -> None:
        error = images.pull_error(c.image)
        if error is not None:
            self._event(pod, c, "Warning", "Failed", f'Failed to pull image "{c.image}": {error}')
            self._event(pod, c, "Warning", "Failed", "Error: ErrImagePull")
            c.waiting_reason, c.waiting_message = "ErrImagePull", error
            if not c.pull_backoff or now - c.pull_backoff_updated > 2 * BACKOFF_MAX:
                c.pull_backoff = BACKOFF_INITIAL
            else:
                c.pull_backoff = min(c.pull_backoff * 2, BACKOFF_MAX)
            c.pull_backoff_updated = now
            c.phase, c.due = "pull-failed", now + 1.0
            return
        agent.images.add(images.parse(c.image).name)
        self._event(pod, c, "Normal", "Pulled", self._pulled_message(c.image, c.pull_took, c.pull_waited))
        c.phase = "create"

    def _pulled_message(self, image: str, took: float, waited: float) -> str:
        text = f'Successfully pulled image "{image}" in {images.go_duration_ms(took)}'
        if self.minor >= 28:
            text += f" ({images.go_duration_ms(max(took, waited))} including waiting)"
        if self.minor >= 30:
            text += f". Image size: {images.size_bytes(image)} bytes."
        return text

    # --- containers ----------------------------------------------------------------------------------------

    def _create(self, pod: Obj, rt: PodRuntime, c: ContainerState, now: float) -> None:
        error = podconfig.env_error(self.store, rt.namespace, _container_spec(pod, c))
        if error is not None:
            # generateContainerConfig failed: no container; the pod worker tries again after its back-off.
            self._event(pod, c, "Warning", "Failed", f"Error: {error}")
            c.phase, c.due = "config-error", now + self.sim.rng.uniform(*RESYNC)
            c.waiting_reason, c.waiting_message = "CreateContainerConfigError", error
            return
        c.instances += 1
        if c.instances > 1:
            c.restart_count += 1
        if c.terminated is not None:
            c.last_terminated, c.terminated = c.terminated, None
        c.container_id = container_id(rt.uid, c.name, c.instances)
        c.image_id = images.parse(c.image).image_id
        created = f"Created container: {c.name}" if self.minor >= 32 else f"Created container {c.name}"
        self._event(pod, c, "Normal", "Created", created)
        self._event(pod, c, "Normal", "Started", f"Started container {c.name}")
        c.phase, c.running_since = "running", now
        c.waiting_reason, c.waiting_message = "ContainerCreating", None
        c.runs.append(ContainerRun(c.container_id, now))
        self._plan(pod, c, now)

    def _plan(self, pod: Obj, c: ContainerState, started: float) -> None:
        """When the container started at `started` will exit, and when it turns ready."""
        spec = _container_spec(pod, c)
        b = c.behaviour
        exit_at: float | None = None
        code, reason = 0, "Completed"
        if b.run_seconds is not None:
            exit_at = started + b.run_seconds
            code = b.exit_code if b.exit_code is not None else 0
            reason = "Completed" if code == 0 else "Error"
        limit = ((spec.get("resources") or {}).get("limits") or {}).get("memory")
        oom = usage.oom_delay(b.memory_bytes, b.pattern, float(quantity.parse(limit)) if limit else None)
        if oom is not None and (exit_at is None or started + oom < exit_at):
            exit_at, code, reason = started + oom, 137, "OOMKilled"
        c.due, c.exit_code, c.exit_reason = exit_at, code, reason
        if c.init:
            return
        probe = spec.get("readinessProbe") or {}
        delay = float(probe.get("initialDelaySeconds") or 0)
        if b.ready:
            if probe:
                c.ready_at = started + delay + 1.0
            else:
                c.ready = True
        else:
            c.next_probe = started + delay + 1.0

    def _exit(self, rt: PodRuntime, c: ContainerState, now: float) -> None:
        finished = c.due if c.due is not None else now
        self._stop(c, finished, c.exit_code or 0, c.exit_reason)
        code = c.exit_code or 0
        if c.init:
            if code == 0:
                c.phase, c.ready = "done", True
                return
            restart = rt.restart_policy != "Never"
        else:
            restart = rt.restart_policy == "Always" or (rt.restart_policy == "OnFailure" and code != 0)
        if not restart:
            c.phase = "dead"
            return
        if not c.backoff or finished - c.backoff_updated > 2 * BACKOFF_MAX:
            c.backoff, c.backoff_updated = BACKOFF_INITIAL, now
            c.phase = "new"
            return
        c.last_terminated, c.terminated = c.terminated, None
        c.phase, c.due, c.next_backoff_event = "crash-backoff", finished + c.backoff, None
        c.waiting_reason = "CrashLoopBackOff"
        c.waiting_message = (f"back-off {go_duration(c.backoff)} restarting failed container={c.name} "
                             f"pod={rt.full_name}")

    def _stop(self, c: ContainerState, finished: float, code: int, reason: str) -> None:
        started = c.running_since if c.running_since is not None else finished
        c.terminated = {"containerID": c.container_id, "exitCode": code, "finishedAt": timestamp(finished),
                        "reason": reason, "startedAt": timestamp(started)}
        if c.runs:
            run = c.runs[-1]
            run.finished_at, run.exit_code, run.reason = finished, code, reason
        c.running_since, c.ready, c.ready_at, c.next_probe, c.due = None, False, None, None, None

    # --- volumes -------------------------------------------------------------------------------------------

    def _volumes_mounted(self, pod: Obj, rt: PodRuntime, now: float) -> bool:
        """Set up the pod's volumes; a ConfigMap or Secret that is missing fails its mount, retried with
        back-off, and the pod waits (ContainerCreating, no sandbox) until every volume is set up."""
        if rt.volumes_mounted:
            return True
        errors = podconfig.volume_errors(self.store, pod)
        node = (pod.get("spec") or {}).get("nodeName", "")
        unmounted = []
        for name in sorted(set(errors) | set(rt.mount_retries)):
            retry = rt.mount_retries.get(name)
            if retry is not None and now < retry[0]:
                unmounted.append(name)
                continue
            error = errors.get(name)
            if error is None:
                rt.mount_retries.pop(name, None)
                continue
            backoff = MOUNT_RETRY[0] if retry is None else min(retry[1] * 2, MOUNT_RETRY[1])
            rt.mount_retries[name] = (now + backoff, backoff)
            self.sim.recorder.event(pod, "Warning", "FailedMount",
                                    f'MountVolume.SetUp failed for volume "{name}" : {error}', "kubelet", node)
            unmounted.append(name)
        if not unmounted:
            rt.volumes_mounted, rt.mount_wait_started = True, None
            return True
        if rt.mount_wait_started is None:
            rt.mount_wait_started = now
        elif now - rt.mount_wait_started >= MOUNT_WAIT_TIMEOUT:
            rt.mount_wait_started = now
            if self.minor <= 27:  # later kubelets treat the timeout as an interrupted wait and record nothing
                self.sim.recorder.event(pod, "Warning", "FailedMount", "Unable to attach or mount volumes: "
                                        f"unmounted volumes=[{' '.join(unmounted)}], unattached volumes=[], "
                                        "failed to process volumes=[]: timed out waiting for the condition",
                                        "kubelet", node)
        return False

    # --- probes --------------------------------------------------------------------------------------------

    def _probe(self, pod: Obj, rt: PodRuntime, now: float) -> None:
        for c in rt.main_containers:
            if c.phase != "running":
                continue
            if c.ready_at is not None and now >= c.ready_at:
                c.ready, c.ready_at = True, None
            if c.next_probe is not None and now >= c.next_probe:
                probe = _container_spec(pod, c).get("readinessProbe") or {}
                output = _probe_output(probe, rt.ip or "")
                self._event(pod, c, "Warning", "Unhealthy", f"Readiness probe failed: {output}".rstrip())
                c.next_probe = now + float(probe.get("periodSeconds") or DEFAULT_PROBE_PERIOD)

    def _deadline_exceeded(self, pod: Obj, rt: PodRuntime, agent: NodeAgent, now: float) -> None:
        """activeDeadlineSeconds ran out: the kubelet kills the pod and fails it."""
        message = "Pod was active on the node longer than the specified deadline"
        self.sim.recorder.event(pod, "Warning", "DeadlineExceeded", message, "kubelet", agent.name)
        for c in rt.containers.values():
            if c.phase == "running":
                self._event(pod, c, "Normal", "Killing", f"Stopping container {c.name}")
                self._stop(c, now, 137, "Error")
            if c.terminated is not None:
                c.phase = "dead"
        rt.terminal = True
        if not (pod.get("spec") or {}).get("hostNetwork"):
            agent.release_ip(rt.ip)
        pod = {**pod, "status": {**(pod.get("status") or {}), "reason": "DeadlineExceeded", "message": message}}
        self._write_status(pod, rt, agent, "Failed", now)

    # --- deletion ------------------------------------------------------------------------------------------

    def _terminate(self, pod: Obj, rt: PodRuntime, agent: NodeAgent, now: float) -> None:
        grace = float(pod["metadata"].get("deletionGracePeriodSeconds") or 0)
        if rt.kill_at is None:
            running = [c for c in rt.containers.values() if c.phase == "running"]
            for c in running:
                self._event(pod, c, "Normal", "Killing", f"Stopping container {c.name}")
            rt.kill_at = now + (min(KILL_SECONDS, grace) if running else 0.0)
        if now < rt.kill_at:
            self.enqueue_at(key_of(pod), rt.kill_at)
            return
        for c in rt.containers.values():
            if c.phase == "running":
                self._stop(c, now, 0 if grace > 0 else 137, "Completed" if grace > 0 else "Error")
                c.phase = "dead"
        if not rt.terminal:
            rt.terminal = True
            phase = "Succeeded" if all((c.terminated or {}).get("exitCode", 1) == 0 for c in rt.main_containers) \
                else "Failed"
            self._write_status(pod, rt, agent, phase, now)
        current = self.store.get("pods", rt.namespace, rt.name)
        if current is not None and current["metadata"]["uid"] == rt.uid:
            self.writer.delete("pods", current, grace=0)
        self._forget((rt.namespace, rt.name))

    # --- status --------------------------------------------------------------------------------------------

    def _write_status(self, pod: Obj, rt: PodRuntime, agent: NodeAgent, phase: str, now: float) -> None:
        spec = pod.get("spec") or {}
        current = pod.get("status") or {}
        status = dict(current)
        stamp = timestamp(now)
        status["phase"] = phase
        status["conditions"] = pod_conditions(rt, current.get("conditions") or [], phase, stamp,
                                              spec.get("readinessGates") or [])
        status["hostIP"] = agent.host_ip
        status["hostIPs"] = [{"ip": agent.host_ip}]
        sandbox = rt.sandbox_ready_at is not None and now >= rt.sandbox_ready_at
        if rt.ip and sandbox and not rt.terminal:
            status["podIP"] = rt.ip
            status["podIPs"] = [{"ip": rt.ip}]
        elif rt.terminal and not spec.get("hostNetwork"):
            status.pop("podIP", None)
            status.pop("podIPs", None)
        status["startTime"] = timestamp(rt.started_at)
        specs = {c.get("name"): c for c in (spec.get("initContainers") or []) + (spec.get("containers") or [])}
        if rt.init_containers:
            status["initContainerStatuses"] = [container_status(c, specs.get(c.name) or {}, self.minor)
                                               for c in rt.init_containers]
        status["containerStatuses"] = [container_status(c, specs.get(c.name) or {}, self.minor)
                                       for c in rt.main_containers]
        if status != current:
            self.writer.update_status("pods", {**pod, "status": status})

    def _wake(self, rt: PodRuntime, now: float) -> None:
        moments: list[float | None] = [rt.sandbox_ready_at] if rt.sandbox_ready_at is not None \
            and rt.sandbox_ready_at > now else []
        for c in rt.containers.values():
            if c.phase in ("pulling", "pull-failed", "pull-backoff", "running", "crash-backoff", "config-error"):
                moments.append(c.due)
            moments.extend((c.next_backoff_event, c.next_probe, c.ready_at))
        if not rt.volumes_mounted and rt.sandbox_ready_at is None:
            moments.extend(due for due, _ in rt.mount_retries.values())
            if rt.mount_wait_started is not None and self.minor <= 27:
                moments.append(rt.mount_wait_started + MOUNT_WAIT_TIMEOUT)
        pod = self.store.get("pods", rt.namespace, rt.name) or {}
        deadline = (pod.get("spec") or {}).get("activeDeadlineSeconds")
        if deadline is not None:
            moments.append(rt.started_at + float(deadline))
        due = [m for m in moments if m is not None]
        if due and not rt.terminal:
            self.enqueue_at((rt.namespace, rt.name), max(min(due), now))

    def _event(self, pod: Obj, c: ContainerState, kind: str, reason: str, message: str) -> None:
        self.sim.recorder.event(pod, kind, reason, message, "kubelet", (pod.get("spec") or {}).get("nodeName", ""),
                                c.field_path)


def _container_spec(pod: Obj, c: ContainerState) -> Obj:
    section = "initContainers" if c.init else "containers"
    for spec in (pod.get("spec") or {}).get(section) or []:
        if spec.get("name") == c.name:
            return dict(spec)
    return {}


def _probe_output(probe: Obj, ip: str) -> str:
    """What a failing readiness probe prints, by probe type (an app that is not listening)."""
    if "httpGet" in probe:
        http = probe["httpGet"]
        port, path = http.get("port", 80), http.get("path", "/")
        scheme = str(http.get("scheme", "HTTP")).lower()
        return f'Get "{scheme}://{ip}:{port}{path}": dial tcp {ip}:{port}: connect: connection refused'
    if "tcpSocket" in probe:
        port = probe["tcpSocket"].get("port", 80)
        return f"dial tcp {ip}:{port}: connect: connection refused"
    if "grpc" in probe:
        return f'timeout: failed to connect service "{ip}:{probe["grpc"].get("port", 0)}" within 1s'
    if "exec" in probe:
        return ""
    return "HTTP probe failed with statuscode: 503"
