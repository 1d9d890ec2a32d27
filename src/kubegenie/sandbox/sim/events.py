"""Events as the control plane records them, with client-go's correlation so `describe` reads like a real
cluster: identical events bump `count`/`lastTimestamp` ("x3 over 2m"), more than ten different messages of
one reason within ten minutes collapse into "(combined from similar events): ...", and a token bucket (25
events, then one per 5 minutes per source and object) limits writes while counts keep growing. Components on
the events.k8s.io API (the scheduler) record `series` instead. Events expire an hour after their last update,
as with kube-apiserver's --event-ttl.
"""

from __future__ import annotations

import heapq
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from kubegenie.domain.durations import rfc3339_micro
from kubegenie.sandbox import status
from kubegenie.sandbox.sim.kube import Writer, object_ref, timestamp
from kubegenie.sandbox.store import Change, Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster
    from kubegenie.sandbox.sim.timers import Timers

CACHE_SIZE = 4096
AGGREGATE_MAX_EVENTS = 10
AGGREGATE_INTERVAL = 600.0
SPAM_BURST = 25
SPAM_REFILL_SECONDS = 300.0
SERIES_FINISH = 360.0
SERIES_REFRESH = 1800.0
EVENT_TTL = 3600.0
COMBINED_PREFIX = "(combined from similar events): "

MANAGERS = {"kubelet": "kubelet", "default-scheduler": "kube-scheduler"}


def manager_for(component: str) -> str:
    return MANAGERS.get(component, "kube-controller-manager")


@dataclass
class _Logged:
    name: str
    namespace: str
    count: int
    first: str


@dataclass
class _Aggregate:
    messages: set[str] = field(default_factory=set)
    last: float = 0.0


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class _Series:
    name: str
    namespace: str
    event_time: float
    count: int = 1
    last_observed: float = 0.0
    dirty: bool = False


class _Lru(OrderedDict[tuple[str, ...], object]):
    def remember(self, key: tuple[str, ...], value: object) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > CACHE_SIZE:
            self.popitem(last=False)


class EventRecorder:
    """Records core/v1 Events for every simulated component of one cluster."""

    def __init__(self, cluster: Cluster, timers: Timers) -> None:
        self.cluster = cluster
        self.clock = cluster.clock
        self.timers = timers
        self._writers: dict[str, Writer] = {}
        self._logged = _Lru()
        self._aggregates = _Lru()
        self._buckets = _Lru()
        self._series: dict[tuple[str, ...], _Series] = {}
        self._series_timer = False
        self._last_refresh = 0.0
        self._last_name = 0

    def _writer(self, component: str) -> Writer:
        manager = manager_for(component)
        writer = self._writers.get(manager)
        if writer is None:
            writer = self._writers[manager] = Writer(self.cluster, manager)
        return writer

    def _name(self, involved: str, now: float) -> str:
        stamp = max(int(now * 1e9), self._last_name + 1)
        self._last_name = stamp
        return f"{involved}.{stamp:x}"

    # --- core/v1 recorder --------------------------------------------------------------------------------

    def event(self, obj: Obj, kind: str, reason: str, message: str, component: str, host: str = "",
              field_path: str | None = None) -> None:
        """Record an event about `obj` from `component` (on `host` for node agents)."""
        now = self.clock.time()
        ref = object_ref(obj, field_path)
        namespace = ref.get("namespace") or "default"
        who = (component, host, ref["kind"], namespace, ref["name"], ref["uid"], ref["apiVersion"])
        aggregate_key = (*who, kind, reason)
        record = self._aggregates.get(aggregate_key)
        if not isinstance(record, _Aggregate) or now - record.last > AGGREGATE_INTERVAL:
            record = _Aggregate()
        record.messages.add(message)
        record.last = now
        self._aggregates.remember(aggregate_key, record)
        if len(record.messages) >= AGGREGATE_MAX_EVENTS:
            record.messages.pop()
            message = COMBINED_PREFIX + message
            cache_key: tuple[str, ...] = ("aggregate", *aggregate_key)
        else:
            cache_key = (*aggregate_key, field_path or "", message)
        logged = self._logged.get(cache_key)
        stamp = timestamp(now)
        if isinstance(logged, _Logged):
            logged = _Logged(logged.name, logged.namespace, logged.count + 1, logged.first)
        else:
            logged = _Logged(self._name(ref["name"], now), namespace, 1, stamp)
        self._logged.remember(cache_key, logged)
        if not self._allow(who, now):
            return
        body: Obj = {"apiVersion": "v1", "kind": "Event",
                     "metadata": {"name": logged.name, "namespace": namespace},
                     "involvedObject": ref, "reason": reason, "message": message,
                     "source": {"component": component, **({"host": host} if host else {})},
                     "firstTimestamp": logged.first, "lastTimestamp": stamp, "count": logged.count, "type": kind,
                     "eventTime": None, "reportingComponent": component, "reportingInstance": host}
        self._write(component, body)

    def _allow(self, who: tuple[str, ...], now: float) -> bool:
        bucket = self._buckets.get(who)
        if not isinstance(bucket, _Bucket):
            bucket = _Bucket(float(SPAM_BURST), now)
        bucket.tokens = min(float(SPAM_BURST), bucket.tokens + (now - bucket.updated) / SPAM_REFILL_SECONDS)
        bucket.updated = now
        allowed = bucket.tokens >= 1.0
        if allowed:
            bucket.tokens -= 1.0
        self._buckets.remember(who, bucket)
        return allowed

    def _write(self, component: str, body: Obj) -> None:
        meta = body["metadata"]
        writer = self._writer(component)
        current = self.cluster.store.get("events", meta["namespace"], meta["name"])
        try:
            if current is None:
                writer.create("events", meta["namespace"], body)
            else:
                writer.update("events", {**body, "metadata": {**current["metadata"]}})
        except status.ApiError:
            # The namespace is going away or the event was removed meanwhile; a real recorder drops it too.
            return

    # --- events.k8s.io recorder (series) -----------------------------------------------------------------

    def series_event(self, obj: Obj, kind: str, reason: str, note: str, action: str, controller: str,
                     instance: str) -> None:
        """Record an event the way an events.k8s.io/v1 client does: repeats become a `series`."""
        now = self.clock.time()
        ref = object_ref(obj)
        ref.pop("resourceVersion", None)
        namespace = ref.get("namespace") or "default"
        key = (action, reason, controller, ref["kind"], namespace, ref["name"], ref["uid"], note, kind)
        entry = self._series.get(key)
        body: Obj = {"apiVersion": "v1", "kind": "Event", "metadata": {"namespace": namespace},
                     "involvedObject": ref, "reason": reason, "message": note, "source": {},
                     "firstTimestamp": None, "lastTimestamp": None, "type": kind, "action": action,
                     "reportingComponent": controller, "reportingInstance": instance}
        if entry is None:
            entry = _Series(self._name(ref["name"], now), namespace, now)
            self._series[key] = entry
            body["metadata"]["name"] = entry.name
            body["eventTime"] = rfc3339_micro(_dt(now))
            self._write(controller, body)
        else:
            entry.count += 1
            entry.last_observed = now
            entry.dirty = entry.count > 2
            if entry.count == 2:
                self._write_series(entry, body)
        self._arm_series()

    def _write_series(self, entry: _Series, body: Obj) -> None:
        current = self.cluster.store.get("events", entry.namespace, entry.name)
        if current is None:
            return
        updated = {**current, "series": {"count": entry.count, "lastObservedTime": rfc3339_micro(
            _dt(entry.last_observed))}}
        entry.dirty = False
        try:
            self._writer(str(body.get("reportingComponent") or current.get("reportingComponent") or "")).update(
                "events", updated)
        except status.ApiError:
            return

    def _arm_series(self) -> None:
        if not self._series_timer and self._series:
            self._series_timer = True
            self.timers.after(SERIES_FINISH, self._maintain_series)

    def _maintain_series(self) -> None:
        """finishSeries every 6 minutes, refreshExistingEventSeries every 30, as client-go's broadcaster does."""
        self._series_timer = False
        now = self.clock.time()
        refresh = now - self._last_refresh >= SERIES_REFRESH
        if refresh:
            self._last_refresh = now
        for key, entry in list(self._series.items()):
            finished = (entry.last_observed if entry.count > 1 else entry.event_time) < now - SERIES_FINISH
            if entry.count > 1 and (entry.dirty and (refresh or finished)):
                self._write_series(entry, {})
            if finished:
                del self._series[key]
        self._arm_series()


def _dt(moment: float) -> datetime:
    return datetime.fromtimestamp(moment, UTC)


class EventExpiry:
    """Deletes events an hour (simulated) after their last write, as etcd's lease TTL does for the apiserver."""

    def __init__(self, cluster: Cluster, timers: Timers, ttl: float = EVENT_TTL) -> None:
        self.cluster = cluster
        self.timers = timers
        self.ttl = ttl
        self._heap: list[tuple[float, str, str, str]] = []
        self._armed_for: float | None = None
        self._writer = Writer(cluster, "kube-apiserver")

    def on_change(self, change: Change) -> None:
        if change.type == "DELETED":
            return
        meta = change.obj["metadata"]
        due = self.cluster.clock.time() + self.ttl
        heapq.heappush(self._heap, (due, meta.get("namespace", ""), meta["name"], meta["resourceVersion"]))
        if self._armed_for is None or due < self._armed_for:
            self._arm(due)

    def _arm(self, due: float) -> None:
        self._armed_for = due
        self.timers.at(due, self._expire, due)

    def _expire(self, armed: float) -> None:
        if self._armed_for != armed:
            return
        self._armed_for = None
        now = self.cluster.clock.time()
        store = self.cluster.store
        while self._heap and self._heap[0][0] <= now + 1e-6:
            _, namespace, name, rv = heapq.heappop(self._heap)
            current = store.get("events", namespace, name)
            if current is not None and current["metadata"].get("resourceVersion") == rv:
                self._writer.delete("events", current)
        if self._heap:
            self._arm(self._heap[0][0])
