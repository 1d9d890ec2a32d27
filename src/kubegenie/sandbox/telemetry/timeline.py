"""When each container ran: the runs a warm-started pod had before the sandbox started (a leaking container
is OOM-killed every `oom_delay` seconds and restarted), followed by the runs the simulated kubelet reports
(or, without a simulation, what the pod's status says). Series exist only inside runs.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from kubegenie.sandbox.sim.kube import seconds
from kubegenie.sandbox.sim.pods import container_id
from kubegenie.sandbox.store import Obj

RESTART_GAP = 10.0
"""Seconds between an OOM kill and the restart in the history before start-up (the first back-off is 10 s)."""
OOM_EXIT_CODE = 137


@dataclass(frozen=True)
class Run:
    start: float
    end: float | None = None
    """None while it runs."""
    exit_code: int | None = None
    reason: str | None = None
    container_id: str = ""

    def covers(self, t: float) -> bool:
        return self.start <= t and (self.end is None or t < self.end)


def leak_starts(first_start: float, oom_delay: float, until: float) -> list[float]:
    """Starts of runs killed `oom_delay` seconds after they start and restarted after RESTART_GAP, from
    `first_start` up to `until`; whole seconds apart, as timestamps in a status keep them."""
    period = math.ceil(oom_delay + RESTART_GAP)
    count = int((until - first_start) // period) + 1 if until >= first_start else 1
    return [first_start + index * period for index in range(count)]


def status_runs(pod: Obj, container: str) -> list[Run]:
    """The runs a pod's status shows: the last terminated one and the current one."""
    for entry in ((pod.get("status") or {}).get("containerStatuses") or []):
        if entry.get("name") != container:
            continue
        runs = []
        last = (entry.get("lastState") or {}).get("terminated") or {}
        begin, end = seconds(last.get("startedAt")), seconds(last.get("finishedAt"))
        if begin is not None:
            runs.append(Run(begin, end, last.get("exitCode"), last.get("reason"), str(last.get("containerID", ""))))
        state = entry.get("state") or {}
        running = seconds((state.get("running") or {}).get("startedAt"))
        if running is not None:
            runs.append(Run(running, container_id=str(entry.get("containerID", ""))))
        terminated = state.get("terminated") or {}
        begin = seconds(terminated.get("startedAt"))
        if begin is not None:
            runs.append(Run(begin, seconds(terminated.get("finishedAt")), terminated.get("exitCode"),
                            terminated.get("reason"), str(terminated.get("containerID", ""))))
        return sorted(runs, key=lambda run: run.start)
    return []


def container_runs(pod: Obj, container: str, oom_delay: float | None, observed: Iterable[Run] | None) -> list[Run]:
    """Every run of `container`, oldest first: OOM restarts before the first observed run (from the pod's
    start), then what the kubelet observed (`observed`, else the pod's status)."""
    runs = list(observed) if observed is not None else status_runs(pod, container)
    if not runs:
        return []
    pod_start = seconds((pod.get("status") or {}).get("startTime"))
    first = runs[0].start
    if oom_delay is None or pod_start is None or first - pod_start < oom_delay:
        return runs
    earlier = [start for start in leak_starts(pod_start, oom_delay, first) if start + oom_delay <= first]
    uid = str(pod["metadata"].get("uid", ""))
    return [Run(start, start + oom_delay, OOM_EXIT_CODE, "OOMKilled", container_id(uid, container, index + 1))
            for index, start in enumerate(earlier)] + runs
