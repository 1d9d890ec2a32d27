"""Simulated CPU and memory usage of a container as pure functions of a base value, its usage pattern, a
stable key (seed, pod uid, container) and time, so the kubelet (OOM kills), the HPA and `kubectl top` agree
on the value at any instant without storing series. `PatternUsage` is the metrics source a Simulation
installs; a metrics engine with history may replace it.

Patterns: `steady` (base with a little noise), `diurnal` (daily cycle peaking mid-afternoon UTC, quieter at
weekends), `spiky` (bursts at seeded random times) and `leak` (memory grows by the base amount every
LEAK_GROWTH_SECONDS since the container started). The base is the `sim.kubegenie.io/cpu|memory` annotation,
else the metrics source's default for the container (a share of its requests).
"""

from __future__ import annotations

import hashlib
import math
import struct
from decimal import Decimal
from typing import TYPE_CHECKING

from kubegenie.domain import quantity
from kubegenie.sandbox.metricsource import (
    RESOLUTION,
    PodUsage,
    Usage,
    UsageSource,
    container_usage,
    running_containers,
    running_since,
)
from kubegenie.sandbox.sim.annotations import container_behaviour
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

LEAK_GROWTH_SECONDS = 6 * 3600.0
NOISE = 0.04
SPIKE_BUCKET_SECONDS = 900.0
SPIKE_SECONDS = 360.0
SPIKE_PROBABILITY = 0.15
SPIKE_FACTOR = 3.5
OOM_AFTER_START_SECONDS = 1.0
"""An over-limit container is killed as soon as it has allocated: about a second after it started."""


def unit(*parts: object) -> float:
    """A deterministic number in [0, 1) from the given parts."""
    digest = hashlib.blake2b("\x1f".join(str(p) for p in parts).encode(), digest_size=8).digest()
    return float(struct.unpack(">Q", digest)[0] / 2**64)


def _noise(key: str, kind: str, t: float) -> float:
    return 1.0 + NOISE * (2.0 * unit(key, kind, int(t // 60)) - 1.0)


PEAK_HOUR_UTC = 14.0
DIURNAL_AMPLITUDE = 0.5
WEEKEND_FACTOR = 0.6


def diurnal(t: float) -> float:
    hour = (t % 86400.0) / 3600.0
    weekday = int(t // 86400.0 + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    factor = 1.0 + DIURNAL_AMPLITUDE * math.cos(2.0 * math.pi * (hour - PEAK_HOUR_UTC) / 24.0)
    return factor * (WEEKEND_FACTOR if weekday >= 5 else 1.0)


def in_spike(key: str, t: float) -> bool:
    bucket = int(t // SPIKE_BUCKET_SECONDS)
    return t - bucket * SPIKE_BUCKET_SECONDS < SPIKE_SECONDS and unit(key, "spike", bucket) < SPIKE_PROBABILITY


def cpu_millicores(base: float, pattern: str, key: str, t: float) -> float:
    """CPU in millicores at simulated time `t` (seconds since the epoch)."""
    value = base
    if pattern == "diurnal":
        value *= diurnal(t)
    elif pattern == "spiky" and in_spike(key, t):
        value *= SPIKE_FACTOR
    return max(0.0, value * _noise(key, "cpu", t))


def memory_bytes(base: float, pattern: str, key: str, t: float, started_at: float) -> float:
    """Working-set memory in bytes at `t` for a container (re)started at `started_at`."""
    value = base
    if pattern == "leak":
        value *= 1.0 + max(0.0, t - started_at) / LEAK_GROWTH_SECONDS
    elif pattern == "diurnal":
        value *= 1.0 + 0.3 * (diurnal(t) - 1.0)
    elif pattern == "spiky" and in_spike(key, t):
        value *= 1.3
    return max(0.0, value * (1.0 + (_noise(key, "memory", t) - 1.0) / 4.0))


def oom_delay(base: float | None, pattern: str, limit_bytes: float | None) -> float | None:
    """Seconds after a start at which the container passes its memory limit, or None if it never does."""
    if base is None or limit_bytes is None or limit_bytes <= 0:
        return None
    if base > limit_bytes:
        return OOM_AFTER_START_SECONDS
    if pattern == "leak" and base > 0:
        return max(OOM_AFTER_START_SECONDS, LEAK_GROWTH_SECONDS * (limit_bytes / base - 1.0))
    return None


def container_limit(container: Obj, resource: str) -> float | None:
    """A container's limit of `resource` in base units (cores, bytes), or None when it sets none."""
    value = ((container.get("resources") or {}).get("limits") or {}).get(resource)
    try:
        return float(quantity.parse(value)) if value is not None else None
    except quantity.QuantityError:
        return None


def declared_base(pod: Obj, container: Obj) -> tuple[str, float, float]:
    """(pattern, CPU millicores, memory bytes) a container declares in its pod's annotations, else the usage
    its requests imply, before any pattern applies."""
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    behaviour = container_behaviour(annotations, str(container.get("name", "")))
    fallback = container_usage(container, {})
    cpu = behaviour.cpu_millicores if behaviour.cpu_millicores is not None else float(fallback.cpu * 1000)
    memory = behaviour.memory_bytes if behaviour.memory_bytes is not None else float(fallback.memory)
    return behaviour.pattern, cpu, memory


def container_sample(pod: Obj, container: Obj, seed: int, at: float, started: float) -> Usage:
    """The usage of one running container of `pod` at `at`, capped by its limits."""
    pattern, base_cpu, base_memory = declared_base(pod, container)
    key = f"{seed}/{pod['metadata'].get('uid', '')}/{container.get('name', '')}"
    cpu = cpu_millicores(base_cpu, pattern, key, at)
    memory = memory_bytes(base_memory, pattern, key, at, started)
    cpu_limit, memory_limit = container_limit(container, "cpu"), container_limit(container, "memory")
    if cpu_limit is not None:
        cpu = min(cpu, cpu_limit * 1000)
    if memory_limit is not None:
        memory = min(memory, memory_limit)
    return Usage(Decimal(int(cpu * 1000)) / Decimal(1_000_000), int(memory))


class PatternUsage(UsageSource):
    """metrics.k8s.io samples from the usage patterns of running containers, one per 15 s window."""

    def __init__(self, cluster: Cluster, seed: int) -> None:
        super().__init__(cluster)
        self.seed = seed

    def pod(self, pod: Obj) -> PodUsage | None:
        containers = running_containers(pod)
        if not containers:
            return None
        at = self._sample_time()
        started = running_since(pod)
        samples = tuple((str(c.get("name", "")), container_sample(pod, c, self.seed, at,
                                                                   started.get(str(c.get("name")), at)))
                        for c in containers)
        return PodUsage(at, RESOLUTION, samples)



