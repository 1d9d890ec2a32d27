"""The log of one container run as a pure function of the container and time: its start-up lines (or the
lines declared in `sim.kubegenie.io/log`), the lines it keeps writing while it runs (requests, database
housekeeping, memory warnings of a leaking process, failing health checks), and its last words when it
exits with an error. Only the most recent lines of a long run are produced, as a rotated log file keeps.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kubegenie.sandbox.containerlogs import formats
from kubegenie.sandbox.logsource import LogLine
from kubegenie.sandbox.sim.annotations import container_behaviour
from kubegenie.sandbox.sim.usage import unit
from kubegenie.sandbox.store import Obj
from kubegenie.sandbox.telemetry import series
from kubegenie.sandbox.telemetry.series import SeriesSpec

KEPT_LINES = 1000
"""Running lines kept per run (the start-up and exit lines always are)."""
_FIRST_LINE_AFTER = 3.0
_HOUSEKEEPING_PERIOD = 300.0


@dataclass(frozen=True)
class Profile:
    """What decides a container's log."""

    key: str
    kind: str
    service: str
    image: str
    declared: tuple[str, ...] | None
    spec: SeriesSpec
    ready: bool
    node_ip: str
    run_seconds: float | None = None
    """How long each run lasts when the container is declared to exit (None: until killed)."""
    exit_code: int | None = None

    def planned_exit(self, start: float) -> tuple[float, int] | None:
        """When and how the run that started at `start` ends by itself: its declared exit or its OOM kill."""
        exits = []
        if self.run_seconds is not None:
            exits.append((start + self.run_seconds, self.exit_code or 0))
        delay = self.spec.oom_delay
        if delay is not None:
            exits.append((start + delay, 137))
        return min(exits) if exits else None

    @property
    def period(self) -> float | None:
        """Seconds between running lines, or None for programs that stay quiet once started."""
        if self.declared is not None:
            return None
        if self.kind in (formats.WEB, formats.INGRESS, formats.ENVOY):
            return 2.0 + 6.0 * unit(self.key, "period")
        if self.kind in (formats.JAVA, formats.PYTHON, formats.NODE, formats.GO):
            return 3.0 + 12.0 * unit(self.key, "period")
        if self.kind in (formats.POSTGRES, formats.REDIS):
            return _HOUSEKEEPING_PERIOD
        return None


def service_name(pod: Obj) -> str:
    """The application a pod belongs to, as its labels name it."""
    meta = pod.get("metadata") or {}
    labels = meta.get("labels") or {}
    for key in ("app.kubernetes.io/name", "app", "k8s-app", "name"):
        if labels.get(key):
            return str(labels[key])
    name = str(meta.get("name", "app"))
    parts = name.split("-")
    return "-".join(parts[:-2]) if len(parts) > 2 else parts[0]


def profile_for(pod: Obj, container: Obj, seed: int) -> Profile:
    meta = pod.get("metadata") or {}
    name = str(container.get("name", ""))
    behaviour = container_behaviour(meta.get("annotations") or {}, name)
    image = str(container.get("image", ""))
    key = series.series_key(seed, str(meta.get("namespace", "")), str(meta.get("name", "")), name)
    return Profile(key, formats.kind_of(image), service_name(pod), image, behaviour.log_lines,
                   series.spec_for(pod, container, seed), behaviour.ready,
                   str((pod.get("status") or {}).get("hostIP", "")), behaviour.run_seconds, behaviour.exit_code)


def _event_time(profile: Profile, period: float, first: float, index: int) -> float:
    if profile.kind == formats.POSTGRES:
        return first + (index // 2) * period + (index % 2) * (1.5 + unit(profile.key, "ckpt", index // 2))
    if profile.kind == formats.REDIS:
        return first + (index // 4) * period + (index % 4) * 0.03
    return first + index * period + 0.4 * period * unit(profile.key, "jitter", index)


def _events_until(profile: Profile, period: float, first: float, until: float) -> int:
    """How many running lines have been written by `until`."""
    if until < first:
        return 0
    per_cycle = 2 if profile.kind == formats.POSTGRES else 4 if profile.kind == formats.REDIS else 1
    cycles = math.floor((until - first) / period) + 1
    count = cycles * per_cycle
    while count > 0 and _event_time(profile, period, first, count - 1) > until:
        count -= 1
    return count


def _running_text(profile: Profile, run_key: str, index: int, at: float, started: float) -> str:
    kind = profile.kind
    if kind in (formats.POSTGRES, formats.REDIS):
        return formats.housekeeping_line(kind, index, at) or ""
    if kind in (formats.WEB, formats.INGRESS, formats.ENVOY):
        return formats.access_line(kind, run_key, index, at, profile.service)
    if profile.spec.pattern == "leak" and index % 20 == 19:
        used = series.memory_bytes(profile.spec, at, started)
        limit = profile.spec.memory_limit
        share = f'"limit_mb":{int(limit / 2**20)},' if limit else ""
        return (f'{{"level":"warn","ts":"{formats.iso_millis(at)}","msg":"memory usage high","rss_mb":'
                f'{int(used / 2**20)},{share}"service":"{profile.service}"}}')
    if not profile.ready and index % 4 == 3:
        return (f'{{"level":"error","ts":"{formats.iso_millis(at)}","msg":"health check failed","check":"database",'
                f'"error":"dial tcp 10.96.112.40:5432: connect: connection refused","service":"{profile.service}"}}')
    return formats.app_line(kind, run_key, index, at, profile.service)


def run_lines(profile: Profile, instance: int, start: float, end: float | None, exit_code: int | None,
              until: float) -> list[LogLine]:
    """Lines of the run that started at `start`, written by `until` (and up to `end` when it exited). A run
    that is declared to exit ends then even before the kubelet reports it, so followers see its last words."""
    planned = profile.planned_exit(start)
    if end is None and planned is not None and planned[0] <= until:
        end, exit_code = planned
    stop = until if end is None else min(until, end)
    if profile.declared is not None:
        opening = [(index * 0.001, text) for index, text in enumerate(profile.declared)]
    else:
        opening = formats.startup_lines(profile.kind, profile.service, profile.image, start, profile.node_ip)
    lines = [LogLine(start + offset, text) for offset, text in opening if start + offset <= stop]
    period = profile.period
    if period is not None:
        first = start + _FIRST_LINE_AFTER + (60.0 if profile.kind == formats.JAVA else 0.0)
        if profile.kind in (formats.POSTGRES, formats.REDIS):
            first = start + period
        count = _events_until(profile, period, first, stop)
        run_key = f"{profile.key}/{instance}"
        for index in range(max(0, count - KEPT_LINES), count):
            at = _event_time(profile, period, first, index)
            lines.append(LogLine(at, _running_text(profile, run_key, index, at, start)))
    if end is not None and end <= until and exit_code not in (None, 0, 137) and profile.declared is None:
        for back, text in formats.crash_lines(profile.kind, profile.service, exit_code, end):
            lines.append(LogLine(max(start, end - back), text))
    lines.sort(key=lambda line: line.time)
    return lines


def next_line_after(profile: Profile, start: float, after: float) -> float | None:
    """When the run that started at `start` next writes (a running line, or its last words) after `after`."""
    planned = profile.planned_exit(start)
    exit_at = planned[0] if planned is not None and planned[0] > after else None
    period = profile.period
    if period is None:
        return exit_at
    first = start + _FIRST_LINE_AFTER + (60.0 if profile.kind == formats.JAVA else 0.0)
    if profile.kind in (formats.POSTGRES, formats.REDIS):
        first = start + period
    line_at = _event_time(profile, period, first, _events_until(profile, period, first, after))
    if planned is not None and line_at >= planned[0]:
        return exit_at
    return min(line_at, exit_at) if exit_at is not None else line_at
