"""Container logs of a simulated cluster through logsource.py's interface: each run's lines are computed
from its container, start and end (as the pod's status reports them), so nothing is stored but lines other
code appends. Followers (`kubectl logs -f`) get new lines as simulated time passes and the last words of a
container the moment the kubelet records its exit. Installed by `LogComponent` on a running simulation.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from kubegenie.sandbox.containerlogs.script import Profile, next_line_after, profile_for, run_lines
from kubegenie.sandbox.logsource import LogKey, LogLine, LogSource, container_status, instance_start
from kubegenie.sandbox.sim.controller import Component
from kubegenie.sandbox.sim.kube import seconds
from kubegenie.sandbox.store import Change, Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster
    from kubegenie.sandbox.sim import Simulation

MATCH_SECONDS = 1.5
"""Status timestamps are whole seconds: a run matches an instance start within this much."""
MIN_REAL_WAKEUP = 0.05


def _container_spec(pod: Obj, name: str) -> Obj:
    spec = pod.get("spec") or {}
    for section in ("containers", "initContainers", "ephemeralContainers"):
        for item in spec.get(section) or []:
            if isinstance(item, dict) and item.get("name") == name:
                return item
    return {"name": name}


def run_window(pod: Obj, container: str, started: float) -> tuple[float, float | None, int | None]:
    """(start, end, exit code) of the run of `container` that started at `started`, from the pod's status."""
    found = container_status(pod, container) or {}
    state = found.get("state") or {}
    candidates = [((state.get("running") or {}).get("startedAt"), None, None)]
    for terminated in (state.get("terminated"), (found.get("lastState") or {}).get("terminated")):
        if terminated:
            candidates.append((terminated.get("startedAt"), terminated.get("finishedAt"), terminated.get("exitCode")))
    for begin, end, code in candidates:
        begin_at = seconds(begin)
        if begin_at is not None and abs(begin_at - started) <= MATCH_SECONDS:
            return begin_at, seconds(end) if end else None, code if isinstance(code, int) else None
    if (pod.get("status") or {}).get("phase") == "Running" and "running" in state:
        return started, None, None
    return started, started, None


class SimulatedLogSource(LogSource):
    """Lines computed per run; appended lines kept per pod until it is deleted."""

    def __init__(self, cluster: Cluster, seed: int) -> None:
        self.cluster = cluster
        self.seed = seed
        self._appended: dict[str, dict[LogKey, list[LogLine]]] = defaultdict(dict)
        self._followers: dict[LogKey, set[asyncio.Queue[LogLine | None]]] = defaultdict(set)
        self._cursor: dict[LogKey, float] = {}
        self._pods: dict[LogKey, tuple[str, str]] = {}
        self._timers: dict[LogKey, asyncio.TimerHandle] = {}
        self._profiles: dict[tuple[str, str], Profile] = {}

    def _profile(self, pod: Obj, container: str) -> Profile:
        key = (str(pod["metadata"].get("uid", "")), container)
        found = self._profiles.get(key)
        if found is None:
            if len(self._profiles) > 200_000:
                self._profiles.clear()
            found = self._profiles[key] = profile_for(pod, _container_spec(pod, container), self.seed)
        return found

    def _generated(self, pod: Obj, key: LogKey, started: float, until: float) -> list[LogLine]:
        start, end, code = run_window(pod, key.container, started)
        return run_lines(self._profile(pod, key.container), key.instance, start, end, code, until)

    def _lines(self, pod: Obj, key: LogKey, started: float, until: float) -> list[LogLine]:
        lines = self._generated(pod, key, started, until)
        extra = self._appended.get(key.uid, {}).get(key)
        if extra:
            lines = sorted(lines + [line for line in extra if line.time <= until], key=lambda line: line.time)
        return lines

    # --- LogSource ---------------------------------------------------------------------------------------

    def read(self, pod: Obj, key: LogKey, started: float) -> Sequence[LogLine]:
        until = self._cursor.get(key, self.cluster.clock.time())
        return self._lines(pod, key, started, until)

    def subscribe(self, key: LogKey) -> asyncio.Queue[LogLine | None]:
        queue: asyncio.Queue[LogLine | None] = asyncio.Queue()
        if key not in self._cursor:
            self._cursor[key] = self.cluster.clock.time()
        self._followers[key].add(queue)
        self._schedule(key)
        return queue

    def unsubscribe(self, key: LogKey, queue: asyncio.Queue[LogLine | None]) -> None:
        followers = self._followers.get(key)
        if followers is not None:
            followers.discard(queue)
            if followers:
                return
            del self._followers[key]
        self._cursor.pop(key, None)
        self._pods.pop(key, None)
        timer = self._timers.pop(key, None)
        if timer is not None:
            timer.cancel()

    def append(self, key: LogKey, lines: Iterable[LogLine]) -> None:
        added = list(lines)
        self._appended[key.uid].setdefault(key, []).extend(added)
        for queue in tuple(self._followers.get(key, ())):
            for line in added:
                queue.put_nowait(line)

    # --- following ---------------------------------------------------------------------------------------

    def _find(self, key: LogKey) -> Obj | None:
        where = self._pods.get(key)
        if where is None:
            for pod in self.cluster.store.iter("pods"):
                if pod["metadata"].get("uid") == key.uid:
                    where = self._pods[key] = (str(pod["metadata"].get("namespace", "")), str(pod["metadata"]["name"]))
                    break
        if where is None:
            return None
        found = self.cluster.store.get("pods", where[0], where[1])
        return found if found is not None and found["metadata"].get("uid") == key.uid else None

    def _pump(self, key: LogKey) -> None:
        """Hand followers every line written since they last got one."""
        self._timers.pop(key, None)
        if key not in self._followers:
            return
        pod = self._find(key)
        if pod is None:
            return
        now = self.cluster.clock.time()
        cursor = self._cursor.get(key, now)
        started = instance_start(pod, key.container, key.instance)
        fresh = [line for line in self._generated(pod, key, started, now) if line.time > cursor]
        self._cursor[key] = now
        for queue in tuple(self._followers.get(key, ())):
            for line in fresh:
                queue.put_nowait(line)
        self._schedule(key, pod, started)

    def _schedule(self, key: LogKey, pod: Obj | None = None, started: float | None = None) -> None:
        if key in self._timers or key not in self._followers:
            return
        pod = pod or self._find(key)
        if pod is None:
            return
        begin = started if started is not None else instance_start(pod, key.container, key.instance)
        start, end, _ = run_window(pod, key.container, begin)
        if end is not None:
            return
        due = next_line_after(self._profile(pod, key.container), start, self._cursor.get(key, start))
        if due is None:
            return
        delay = max(MIN_REAL_WAKEUP, self.cluster.clock.real_seconds(due - self.cluster.clock.time()))
        self._timers[key] = asyncio.get_running_loop().call_later(delay, self._pump, key)

    def pod_changed(self, change: Change) -> None:
        """A pod's status moved (a container exited or restarted): followers get what was written up to then."""
        uid = change.obj["metadata"].get("uid", "")
        if change.type == "DELETED":
            self._appended.pop(uid, None)
            spec = change.obj.get("spec") or {}
            for container in (spec.get("initContainers") or []) + (spec.get("containers") or []):
                self._profiles.pop((uid, str(container.get("name", ""))), None)
        for key in [k for k in self._followers if k.uid == uid]:
            self._pump(key)

    def stop(self) -> None:
        for timer in self._timers.values():
            timer.cancel()
        self._timers.clear()


class LogComponent(Component):
    """Installs a SimulatedLogSource while the simulation runs and tells it about pod changes."""

    watches = ("pods",)

    def __init__(self, sim: Simulation) -> None:
        super().__init__(sim)
        self.source = SimulatedLogSource(self.cluster, sim.seed)
        self._previous = self.cluster.logs

    def start(self) -> None:
        self._previous = self.cluster.logs
        self.cluster.logs = self.source

    def stop(self) -> None:
        self.source.stop()
        if self.cluster.logs is self.source:
            self.cluster.logs = self._previous

    def on_change(self, change: Change) -> None:
        self.source.pod_changed(change)
