"""One container's usage series: its base values, pattern and limits (`SeriesSpec`), the instant CPU and
memory from sim/usage.py's pure functions, and the CPU counter cAdvisor reports, integrated in closed form
so a counter over days costs the same as one over a minute.

The counter integrates the noise-free curve (base x pattern, capped at the CPU limit); the per-minute noise
of usage.py shows in the instant values only, so `rate()` over any window equals the mean of the pattern.
Series are keyed by seed, namespace, pod and container (not the uid) so a seed reproduces them.
"""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass

from kubegenie.sandbox.sim import usage
from kubegenie.sandbox.store import Obj

DAY = 86400.0
_RADIANS_PER_SECOND = 2.0 * math.pi / DAY
_PEAK_OFFSET = usage.PEAK_HOUR_UTC * 3600.0


@dataclass(frozen=True)
class SeriesSpec:
    """Everything the series of one container depends on."""

    key: str
    pattern: str
    cpu_base: float
    """Millicores before the pattern applies."""
    memory_base: float
    """Bytes before the pattern applies."""
    cpu_limit: float | None
    """Millicores; usage never exceeds it (CFS throttling)."""
    memory_limit: float | None
    """Bytes; reaching it is an OOM kill."""

    @property
    def oom_delay(self) -> float | None:
        """Seconds from a start to the OOM kill, or None when the container never reaches its limit."""
        return usage.oom_delay(self.memory_base, self.pattern, self.memory_limit)


def series_key(seed: int, namespace: str, pod: str, container: str) -> str:
    return f"{seed}/{namespace}/{pod}/{container}"


def spec_for(pod: Obj, container: Obj, seed: int) -> SeriesSpec:
    """The series of `container` of `pod`: declared usage from annotations, else the metrics default."""
    meta = pod.get("metadata") or {}
    pattern, cpu, memory = usage.declared_base(pod, container)
    cpu_limit = usage.container_limit(container, "cpu")
    key = series_key(seed, str(meta.get("namespace", "")), str(meta.get("name", "")), str(container.get("name", "")))
    return SeriesSpec(key, pattern, cpu, memory, cpu_limit * 1000 if cpu_limit is not None else None,
                      usage.container_limit(container, "memory"))


# --- instant values -----------------------------------------------------------------------------------------


def cpu_millicores(spec: SeriesSpec, t: float) -> float:
    """CPU at `t` as metrics-server would sample it (with usage.py's noise), capped at the limit."""
    value = usage.cpu_millicores(spec.cpu_base, spec.pattern, spec.key, t)
    return min(value, spec.cpu_limit) if spec.cpu_limit is not None else value


def smooth_cpu_millicores(spec: SeriesSpec, t: float) -> float:
    """The noise-free CPU curve at `t`: what the counter's rate shows."""
    value = spec.cpu_base
    if spec.pattern == "diurnal":
        value *= usage.diurnal(t)
    elif spec.pattern == "spiky" and usage.in_spike(spec.key, t):
        value *= usage.SPIKE_FACTOR
    return min(value, spec.cpu_limit) if spec.cpu_limit is not None else value


def memory_bytes(spec: SeriesSpec, t: float, started: float) -> float:
    """Working set at `t` of the run that started at `started`, capped at the limit."""
    value = usage.memory_bytes(spec.memory_base, spec.pattern, spec.key, t, started)
    return min(value, spec.memory_limit) if spec.memory_limit is not None else value


# --- the CPU counter ----------------------------------------------------------------------------------------


def cpu_seconds(spec: SeriesSpec, start: float, end: float) -> float:
    """Core-seconds used between `start` and `end`: the integral of `smooth_cpu_millicores`."""
    if end <= start:
        return 0.0
    cap = spec.cpu_limit
    base = spec.cpu_base
    if spec.pattern == "diurnal":
        millicore_seconds = _diurnal_integral(base, cap, start, end)
    elif spec.pattern == "spiky":
        plain = min(base, cap) if cap is not None else base
        peak = base * usage.SPIKE_FACTOR
        peak = min(peak, cap) if cap is not None else peak
        millicore_seconds = plain * (end - start) + (peak - plain) * spike_seconds(spec.key, start, end)
    else:
        millicore_seconds = (min(base, cap) if cap is not None else base) * (end - start)
    return millicore_seconds / 1000.0


def _weekday_factor(t: float) -> float:
    weekday = int(t // DAY + 3) % 7  # as usage.diurnal counts: 1970-01-01 was a Thursday, 0 is Monday
    return usage.WEEKEND_FACTOR if weekday >= 5 else 1.0


def _diurnal_integral(base: float, cap: float | None, start: float, end: float) -> float:
    total = 0.0
    t = start
    while t < end:
        day_end = min(end, (math.floor(t / DAY) + 1) * DAY)
        total += _day_integral(base * _weekday_factor(t), cap, t, day_end)
        t = day_end
    return total


def _theta(t: float) -> float:
    return ((t % DAY) - _PEAK_OFFSET) * _RADIANS_PER_SECOND


def _day_integral(scale: float, cap: float | None, t1: float, t2: float) -> float:
    """Integral of min(scale * (1 + A cos θ), cap) over [t1, t2] within one UTC day."""
    a, b = _theta(t1), _theta(t1) + (t2 - t1) * _RADIANS_PER_SECOND

    def free(lo: float, hi: float) -> float:
        return scale * ((hi - lo) + usage.DIURNAL_AMPLITUDE * (math.sin(hi) - math.sin(lo))) / _RADIANS_PER_SECOND

    total = free(a, b)
    if cap is None or scale <= 0:
        return total
    threshold = (cap / scale - 1.0) / usage.DIURNAL_AMPLITUDE
    if threshold >= 1.0:
        return total
    if threshold <= -1.0:
        return cap * (t2 - t1)
    alpha = math.acos(threshold)
    for turn in (-1, 0, 1):
        lo, hi = max(a, -alpha + 2 * math.pi * turn), min(b, alpha + 2 * math.pi * turn)
        if hi > lo:
            total += cap * (hi - lo) / _RADIANS_PER_SECOND - free(lo, hi)
    return total


class _SpikeIndex:
    """Prefix counts of spike buckets for one key, extended as later buckets are asked for."""

    def __init__(self, key: str, origin: int) -> None:
        self.key = key
        self.origin = origin
        self.prefix = array("I", [0])

    def spiking(self, bucket: int) -> bool:
        return usage.unit(self.key, "spike", bucket) < usage.SPIKE_PROBABILITY

    def count(self, lo: int, hi: int) -> int:
        """Spike buckets in [lo, hi)."""
        if hi <= lo:
            return 0
        if lo < self.origin:
            return sum(1 for bucket in range(lo, min(hi, self.origin)) if self.spiking(bucket)) \
                + self.count(self.origin, hi)
        while self.origin + len(self.prefix) - 1 < hi:
            bucket = self.origin + len(self.prefix) - 1
            self.prefix.append(self.prefix[-1] + (1 if self.spiking(bucket) else 0))
        return self.prefix[hi - self.origin] - self.prefix[lo - self.origin]


_INDEXES: dict[str, _SpikeIndex] = {}
_MAX_INDEXES = 200_000


def _index(key: str, near: float) -> _SpikeIndex:
    """The spike index of `key`, anchored a week before the first time asked about so history stays inside."""
    found = _INDEXES.get(key)
    if found is None:
        if len(_INDEXES) >= _MAX_INDEXES:
            _INDEXES.clear()
        found = _INDEXES[key] = _SpikeIndex(key, int((near - 7 * DAY) // usage.SPIKE_BUCKET_SECONDS))
    return found


def spike_seconds(key: str, start: float, end: float) -> float:
    """Seconds of [start, end) that fall inside a spike of `key`."""
    size, length = usage.SPIKE_BUCKET_SECONDS, usage.SPIKE_SECONDS
    first, last = int(start // size), int(end // size)
    index = _index(key, start)

    def overlap(bucket: int) -> float:
        lo, hi = max(start, bucket * size), min(end, bucket * size + length)
        return max(0.0, hi - lo) if index.spiking(bucket) else 0.0

    if first == last:
        return overlap(first)
    return overlap(first) + overlap(last) + index.count(first + 1, last) * length


def spike_windows(key: str, start: float, end: float) -> list[tuple[float, float]]:
    """The spikes of `key` that overlap [start, end), as (begin, end) pairs."""
    size, length = usage.SPIKE_BUCKET_SECONDS, usage.SPIKE_SECONDS
    index = _index(key, start)
    found = []
    for bucket in range(int(start // size), int(end // size) + 1):
        begin = bucket * size
        if begin + length > start and begin < end and index.spiking(bucket):
            found.append((begin, begin + length))
    return found
