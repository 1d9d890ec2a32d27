"""Resource usage the metrics API reports: the `UsageSource` interface the metrics.k8s.io handlers read,
and the default source. It takes each running container's usage from the pod's `sim.kubegenie.io/cpu` and
`sim.kubegenie.io/memory` annotations, else a fraction of its requests, else a small default for its image;
a node uses the sum of its pods plus system overhead. A simulation replaces it with time series.
It reads objects and never changes them.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from kubegenie.domain import quantity
from kubegenie.domain.durations import parse_rfc3339
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

CPU_ANNOTATION = "sim.kubegenie.io/cpu"
MEMORY_ANNOTATION = "sim.kubegenie.io/memory"
RESOLUTION = 15.0  # metrics-server's default --metric-resolution: one sample per 15 s window
CPU_REQUEST_FRACTION = Decimal("0.5")
MEMORY_REQUEST_FRACTION = Decimal("0.6")
MI = 1024 * 1024

# Idle usage of common images when a container declares no requests: (cores, bytes).
_IMAGE_DEFAULTS: dict[str, tuple[Decimal, int]] = {
    "nginx": (Decimal("0.001"), 4 * MI), "redis": (Decimal("0.002"), 8 * MI),
    "postgres": (Decimal("0.005"), 40 * MI), "mysql": (Decimal("0.006"), 380 * MI),
    "busybox": (Decimal("0"), 1 * MI), "alpine": (Decimal("0"), 1 * MI), "pause": (Decimal("0"), 1 * MI),
}
_GENERIC_DEFAULT = (Decimal("0.002"), 24 * MI)


@dataclass(frozen=True)
class Usage:
    cpu: Decimal
    """Cores."""
    memory: int
    """Bytes of working set."""

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.cpu + other.cpu, self.memory + other.memory)


ZERO = Usage(Decimal(0), 0)


@dataclass(frozen=True)
class PodUsage:
    timestamp: float
    window: float
    containers: tuple[tuple[str, Usage], ...]

    @property
    def total(self) -> Usage:
        return sum((usage for _, usage in self.containers), ZERO)


@dataclass(frozen=True)
class NodeUsage:
    timestamp: float
    window: float
    usage: Usage


class UsageSource(ABC):
    """What `kubectl top` sees. None means the metrics pipeline has no sample for the object. Sources say
    how a pod uses resources; a node's sample is the sum of its pods' plus the system's overhead."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def _sample_time(self) -> float:
        now = self.cluster.clock.time()
        return now - now % RESOLUTION

    @abstractmethod
    def pod(self, pod: Obj) -> PodUsage | None: ...

    def nodes(self, nodes: Sequence[Obj]) -> dict[str, NodeUsage]:
        """Samples of the given nodes by name; nodes without a sample are left out."""
        wanted = {str(node["metadata"]["name"]): node for node in nodes if node_reporting(node)}
        sums = dict.fromkeys(wanted, ZERO)
        for pod in self.cluster.store.iter("pods"):
            node_name = (pod.get("spec") or {}).get("nodeName")
            if node_name in sums:
                sample = self.pod(pod)
                if sample is not None:
                    sums[node_name] = sums[node_name] + sample.total
        at = self._sample_time()
        return {name: NodeUsage(at, RESOLUTION, sums[name] + system_overhead(node)) for name, node in wanted.items()}


def running_since(pod: Obj) -> dict[str, float]:
    """When each running container of a pod started (seconds since the epoch), by container name."""
    found = {}
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        started = ((status.get("state") or {}).get("running") or {}).get("startedAt")
        if started:
            found[str(status.get("name"))] = parse_rfc3339(str(started)).timestamp()
    return found


class AnnotationUsage(UsageSource):

    def pod(self, pod: Obj) -> PodUsage | None:
        containers = running_containers(pod)
        if not containers:
            return None
        node = self.cluster.store.get("nodes", "", str((pod.get("spec") or {}).get("nodeName") or ""))
        if node is not None and not node_reporting(node):
            return None  # metrics-server scrapes kubelets: a node that is down reports none of its pods
        annotations = (pod.get("metadata") or {}).get("annotations") or {}
        usages = tuple((str(c.get("name", "")), container_usage(c, annotations)) for c in containers)
        return PodUsage(self._sample_time(), RESOLUTION, usages)



def running_containers(pod: Obj) -> list[Obj]:
    """Containers of a Running pod whose status (when the pod reports one) says running."""
    if (pod.get("status") or {}).get("phase") != "Running":
        return []
    statuses = {str(s.get("name")): s for s in (pod.get("status") or {}).get("containerStatuses") or []
                if isinstance(s, dict)}
    found = []
    for container in (pod.get("spec") or {}).get("containers") or []:
        if not isinstance(container, dict):
            continue
        state = statuses.get(str(container.get("name")))
        if state is None and statuses:
            continue
        if state is not None and "running" not in (state.get("state") or {}):
            continue
        found.append(container)
    return found


def parse_quantity(value: Any) -> Decimal | None:
    """A quantity's value, or None for anything that is not one (missing, malformed, another type)."""
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        return None
    try:
        return quantity.parse(value)
    except quantity.QuantityError:
        return None


def container_usage(container: Obj, annotations: dict[str, Any]) -> Usage:
    resources = container.get("resources") or {}
    requests, limits = resources.get("requests") or {}, resources.get("limits") or {}
    image_cpu, image_memory = _image_default(str(container.get("image", "")))
    cpu = parse_quantity(annotations.get(CPU_ANNOTATION))
    if cpu is None:
        request = parse_quantity(requests.get("cpu"))
        cpu = request * CPU_REQUEST_FRACTION if request is not None else image_cpu
    memory = parse_quantity(annotations.get(MEMORY_ANNOTATION))
    if memory is None:
        request = parse_quantity(requests.get("memory"))
        memory = request * MEMORY_REQUEST_FRACTION if request is not None else Decimal(image_memory)
    limit = parse_quantity(limits.get("memory"))
    if limit is not None:
        memory = min(memory, limit)  # above the limit the container is OOMKilled, never sampled
    cpu_limit = parse_quantity(limits.get("cpu"))
    if cpu_limit is not None:
        cpu = min(cpu, cpu_limit)  # CFS throttling caps usage at the limit
    return Usage(max(cpu, Decimal(0)), max(int(memory), 0))


def _image_default(image: str) -> tuple[Decimal, int]:
    name = image.rsplit("/", 1)[-1].split("@", 1)[0].split(":", 1)[0].lower()
    return _IMAGE_DEFAULTS.get(name, _GENERIC_DEFAULT)


def node_reporting(node: Obj) -> bool:
    """A node whose kubelet answers: anything but an explicit Ready=False/Unknown condition."""
    for condition in (node.get("status") or {}).get("conditions") or []:
        if isinstance(condition, dict) and condition.get("type") == "Ready":
            return condition.get("status") == "True"
    return True


def system_overhead(node: Obj) -> Usage:
    """kubelet, container runtime and system daemons: a share of the node, within plausible bounds."""
    state = node.get("status") or {}
    size = state.get("allocatable") or state.get("capacity") or {}
    cpu = parse_quantity(size.get("cpu")) or Decimal(2)
    memory = parse_quantity(size.get("memory")) or Decimal(4096 * MI)
    overhead_cpu = min(max(cpu * Decimal("0.03"), Decimal("0.05")), Decimal("0.25"))
    overhead_memory = min(max(memory * Decimal("0.06"), Decimal(300 * MI)), Decimal(1536 * MI))
    return Usage(overhead_cpu.quantize(Decimal("0.001")), int(overhead_memory))


def format_cpu(cores: Decimal) -> str:
    """Nanocores, as metrics-server writes CPU ("12345678n")."""
    nanos = int((cores * Decimal(1_000_000_000)).to_integral_value())
    return f"{nanos}n" if nanos else "0"


def format_memory(size: int) -> str:
    """Kibibytes, as metrics-server writes memory ("123456Ki")."""
    kib = math.ceil(size / 1024)
    return f"{kib}Ki" if kib else "0"
