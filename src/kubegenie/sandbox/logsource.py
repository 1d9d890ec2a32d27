"""Where container logs come from: the `LogSource` interface the pods/log handler reads (lines with
timestamps per pod uid, container and instance, plus subscriptions that wake followers), and the default
in-memory source that seeds each instance from the pod's `sim.kubegenie.io/log` annotation or from lines
plausible for its image. A simulation appends to it (or replaces it); it never decides container states.
"""

from __future__ import annotations

import asyncio
import hashlib
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from kubegenie.domain.durations import parse_rfc3339
from kubegenie.sandbox.store import Change, Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

LOG_ANNOTATION = "sim.kubegenie.io/log"
MAX_LINES_PER_INSTANCE = 10_000  # a kubelet rotates container logs; older lines are gone


@dataclass(frozen=True)
class LogLine:
    time: float
    """Seconds since the epoch on the cluster's clock."""
    text: str


@dataclass(frozen=True)
class LogKey:
    """One run of one container: instance 0 is the first start, n the start after n restarts."""

    uid: str
    container: str
    instance: int


class LogSource(ABC):
    """What the pods/log handler reads. `subscribe` returns a queue that receives every line appended to
    the key afterwards; the handler itself puts `None` in it to wake up when the pod changes."""

    @abstractmethod
    def read(self, pod: Obj, key: LogKey, started: float) -> Sequence[LogLine]:
        """The lines of one container instance so far; `started` is when that instance started."""

    @abstractmethod
    def subscribe(self, key: LogKey) -> asyncio.Queue[LogLine | None]: ...

    @abstractmethod
    def unsubscribe(self, key: LogKey, queue: asyncio.Queue[LogLine | None]) -> None: ...

    @abstractmethod
    def append(self, key: LogKey, lines: Iterable[LogLine]) -> None:
        """Add lines to an instance (a running container writing) and wake its followers."""


class MemoryLogSource(LogSource):
    """Lines kept in memory per instance, seeded on first use and dropped when the pod is deleted."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._lines: dict[str, dict[LogKey, list[LogLine]]] = defaultdict(dict)
        """Pod uid -> instance -> lines, so a deleted pod's logs go in one step."""
        self._seeded_keys: set[LogKey] = set()
        self._followers: dict[LogKey, set[asyncio.Queue[LogLine | None]]] = defaultdict(set)
        cluster.store.add_listener(self._forget_deleted)

    def read(self, pod: Obj, key: LogKey, started: float) -> Sequence[LogLine]:
        return list(self._seeded(pod, key, started))

    def subscribe(self, key: LogKey) -> asyncio.Queue[LogLine | None]:
        queue: asyncio.Queue[LogLine | None] = asyncio.Queue()
        self._followers[key].add(queue)
        return queue

    def unsubscribe(self, key: LogKey, queue: asyncio.Queue[LogLine | None]) -> None:
        followers = self._followers.get(key)
        if followers is not None:
            followers.discard(queue)
            if not followers:
                del self._followers[key]

    def append(self, key: LogKey, lines: Iterable[LogLine]) -> None:
        # Lines appended before anyone read the instance are merged with its start-up lines on first read.
        stored = self._lines[key.uid].setdefault(key, [])
        added = list(lines)
        stored.extend(added)
        if len(stored) > MAX_LINES_PER_INSTANCE:
            del stored[: len(stored) - MAX_LINES_PER_INSTANCE]
        for queue in tuple(self._followers.get(key, ())):
            for line in added:
                queue.put_nowait(line)

    def write(self, pod: Obj, container: str, text: str, at: float | None = None) -> LogKey:
        """Append `text` (one line per newline) to the container's current instance, as it runs now."""
        key = LogKey(pod["metadata"]["uid"], container, current_instance(pod, container))
        started = instance_start(pod, container, key.instance)
        self._seeded(pod, key, started)
        when = self.cluster.clock.time() if at is None else at
        self.append(key, [LogLine(when, line) for line in text.split("\n") if line != ""])
        return key

    def _seeded(self, pod: Obj, key: LogKey, started: float) -> list[LogLine]:
        by_instance = self._lines[key.uid]
        if key not in self._seeded_keys:
            self._seeded_keys.add(key)
            lines = sorted(seed_lines(pod, key, started) + by_instance.get(key, []), key=lambda line: line.time)
            by_instance[key] = lines
            # Only the current and the previous run of a container can be read; older runs are gone.
            for old in [k for k in by_instance if k.container == key.container and k.instance < key.instance - 1]:
                del by_instance[old]
                self._seeded_keys.discard(old)
        return by_instance[key]

    def _forget_deleted(self, change: Change) -> None:
        if change.key != "pods" or change.type != "DELETED":
            return
        for key in self._lines.pop(change.obj["metadata"].get("uid", ""), {}):
            self._seeded_keys.discard(key)


# --- what a container says when nobody told it what to say --------------------------------------------


def seed_lines(pod: Obj, key: LogKey, started: float) -> list[LogLine]:
    """The lines an instance has written on start: the annotation's lines, else a default per image."""
    annotations = (pod.get("metadata") or {}).get("annotations") or {}
    text = annotations.get(LOG_ANNOTATION)
    if isinstance(text, str):
        texts = [line for line in text.split("\n") if line != ""]
        return [LogLine(started + index * 0.001, line) for index, line in enumerate(texts)]
    image = _image_of(pod, key.container)
    return _default_lines(image, key, started)


def _image_of(pod: Obj, container: str) -> str:
    spec = pod.get("spec") or {}
    for section in ("containers", "initContainers", "ephemeralContainers"):
        for item in spec.get(section) or []:
            if isinstance(item, dict) and item.get("name") == container:
                return str(item.get("image", ""))
    return ""


def _image_name(image: str) -> str:
    last = image.rsplit("/", 1)[-1]
    return last.split("@", 1)[0].split(":", 1)[0].lower()


def _default_lines(image: str, key: LogKey, started: float) -> list[LogLine]:
    name = _image_name(image)
    seed = int.from_bytes(hashlib.sha256(f"{key.uid}/{key.container}/{key.instance}".encode()).digest()[:4])
    start = datetime.fromtimestamp(started, UTC)
    if name in ("nginx", "nginx-unprivileged", "openresty"):
        texts = _nginx(start, seed)
    elif name in ("redis", "valkey"):
        texts = _redis(start)
    elif name in ("postgres", "postgresql"):
        texts = _postgres(start)
    elif name in ("busybox", "alpine", "ubuntu", "debian", "pause"):
        texts = []
    else:
        texts = _app(start, seed, name or "app")
    return [LogLine(started + offset, text) for offset, text in texts]


def _nginx(start: datetime, seed: int) -> list[tuple[float, str]]:
    stamp = start.strftime("%Y/%m/%d %H:%M:%S")
    lines = [
        "/docker-entrypoint.sh: /docker-entrypoint.d/ is not empty, will attempt to perform configuration",
        "/docker-entrypoint.sh: Looking for shell scripts in /docker-entrypoint.d/",
        "/docker-entrypoint.sh: Launching /docker-entrypoint.d/10-listen-on-ipv6-by-default.sh",
        "10-listen-on-ipv6-by-default.sh: info: Getting the checksum of /etc/nginx/conf.d/default.conf",
        "10-listen-on-ipv6-by-default.sh: info: Enabled listen on IPv6 in /etc/nginx/conf.d/default.conf",
        "/docker-entrypoint.sh: Configuration complete; ready for start up",
        f'{stamp} [notice] 1#1: using the "epoll" event method',
        f"{stamp} [notice] 1#1: start worker processes",
        f"{stamp} [notice] 1#1: start worker process 29",
    ]
    texts = [(index * 0.01, line) for index, line in enumerate(lines)]
    for request in range(3):
        offset = 5.0 + request * 10
        when = datetime.fromtimestamp(start.timestamp() + offset, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000")
        client = f"10.244.0.{1 + (seed + request) % 200}"
        texts.append((offset, f'{client} - - [{when}] "GET / HTTP/1.1" 200 615 "-" "kube-probe/1.31" "-"'))
    return texts


def _redis(start: datetime) -> list[tuple[float, str]]:
    stamp = start.strftime("%d %b %Y %H:%M:%S")
    lines = [
        f"1:C {stamp}.000 * oO0OoO0OoO0Oo Redis is starting oO0OoO0OoO0Oo",
        f"1:C {stamp}.000 * Redis version=7.2.4, bits=64, commit=00000000, modified=0, pid=1, just started",
        f"1:M {stamp}.001 * monotonic clock: POSIX clock_gettime",
        f"1:M {stamp}.002 * Running mode=standalone, port=6379.",
        f"1:M {stamp}.002 * Server initialized",
        f"1:M {stamp}.002 * Ready to accept connections tcp",
    ]
    return [(index * 0.001, line) for index, line in enumerate(lines)]


def _postgres(start: datetime) -> list[tuple[float, str]]:
    stamp = start.strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + " UTC"
    lines = [
        f"{stamp} [1] LOG:  starting PostgreSQL 16.2 on x86_64-pc-linux-gnu",
        f'{stamp} [1] LOG:  listening on IPv4 address "0.0.0.0", port 5432',
        f'{stamp} [1] LOG:  listening on Unix socket "/var/run/postgresql/.s.PGSQL.5432"',
        f"{stamp} [1] LOG:  database system is ready to accept connections",
    ]
    return [(index * 0.001, line) for index, line in enumerate(lines)]


def _app(start: datetime, seed: int, name: str) -> list[tuple[float, str]]:
    def at(offset: float) -> str:
        return datetime.fromtimestamp(start.timestamp() + offset, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    texts = [
        (0.0, f'{{"level":"info","ts":"{at(0.0)}","msg":"starting {name}","version":"1.0.0"}}'),
        (0.05, f'{{"level":"info","ts":"{at(0.05)}","msg":"listening","addr":":8080"}}'),
    ]
    for request in range(3):
        offset = 3.0 + request * 7
        latency = 2 + (seed >> request) % 40
        texts.append((offset, f'{{"level":"info","ts":"{at(offset)}","msg":"request","method":"GET",'
                              f'"path":"/healthz","status":200,"duration_ms":{latency}}}'))
    return texts


# --- which instance, started when -------------------------------------------------------------------------


def container_status(pod: Obj, container: str) -> Obj | None:
    state = pod.get("status") or {}
    for section in ("containerStatuses", "initContainerStatuses", "ephemeralContainerStatuses"):
        for item in state.get(section) or []:
            if isinstance(item, dict) and item.get("name") == container:
                return item
    return None


def current_instance(pod: Obj, container: str) -> int:
    found = container_status(pod, container) or {}
    count = found.get("restartCount", 0)
    return count if isinstance(count, int) and count >= 0 else 0


def instance_start(pod: Obj, container: str, instance: int) -> float:
    """When an instance started: from the container status where the pod says, else the pod's creation."""
    found = container_status(pod, container) or {}
    current = current_instance(pod, container)
    candidates: list[object] = []
    if instance == current:
        state = found.get("state") or {}
        candidates += [(state.get("running") or {}).get("startedAt"), (state.get("terminated") or {}).get("startedAt")]
    if instance == current - 1:
        candidates.append(((found.get("lastState") or {}).get("terminated") or {}).get("startedAt"))
    pod_status = pod.get("status") or {}
    candidates += [pod_status.get("startTime"), (pod.get("metadata") or {}).get("creationTimestamp")]
    for value in candidates:
        if isinstance(value, str) and value:
            try:
                return parse_rfc3339(value).timestamp()
            except ValueError:
                continue
    return 0.0
