"""A watch-fed cache of one cluster: an informer per kind, indexes by namespace, node, owner and label,
queries that answer in microseconds, and the cluster's sync status (served stale, with its age, when the
cluster cannot be reached)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from kubegenie.domain.labels import LabelSelector
from kubegenie.kube.client import ClusterClient
from kubegenie.kube.informer import Informer, Key, KindStatus, SyncState
from kubegenie.kube.kinds import CACHED_KINDS, Kind

Obj = dict[str, Any]
FullKey = tuple[str, str, str]  # (kind, namespace, name)
T = TypeVar("T")


@dataclass
class CacheStatus:
    """How fresh the cache of one cluster is."""

    state: SyncState
    reason: str = ""
    stale_since: float | None = None
    not_permitted: list[str] = field(default_factory=list)
    not_served: list[str] = field(default_factory=list)
    kinds: dict[str, KindStatus] = field(default_factory=dict)

    @property
    def stale_age_seconds(self) -> float | None:
        return None if self.stale_since is None else max(0.0, time.time() - self.stale_since)

    def describe(self) -> str:
        if self.state == SyncState.STALE and self.stale_since is not None:
            return f"stale for {int(self.stale_age_seconds or 0)}s ({self.reason})"
        if self.state == SyncState.UNREACHABLE:
            return f"unreachable: {self.reason}"
        return self.state.value


class ClusterCache:
    """Plain-dict copies of the agent kinds of one cluster, kept current by watches."""

    def __init__(self, client: ClusterClient, kinds: Iterable[Kind] = CACHED_KINDS) -> None:
        self.client = client
        self.informers: dict[str, Informer] = {kind.name: Informer(client, kind, self._on_change)
                                               for kind in kinds}
        self._by_node: dict[str, set[Key]] = defaultdict(set)
        self._by_owner: dict[str, set[FullKey]] = defaultdict(set)
        self._by_namespace: dict[tuple[str, str], dict[str, Obj]] = defaultdict(dict)
        self._labels: dict[str, dict[str, dict[str, set[Key]]]] = defaultdict(lambda: defaultdict(dict))
        self._derived: dict[FullKey, tuple[str, dict[str, Any]]] = {}
        self.changes = 0
        self._change_event = asyncio.Event()

    # --- life --------------------------------------------------------------------------------------------

    def start(self) -> None:
        for informer in self.informers.values():
            informer.start()

    async def wait_synced(self, timeout: float | None = None) -> CacheStatus:
        """Wait until every kind has synced or settled on a permanent state (not permitted, not served)."""
        waits = [informer.wait_settled() for informer in self.informers.values()]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.gather(*waits), timeout)
        return self.status()

    async def stop(self) -> None:
        await asyncio.gather(*(informer.stop() for informer in self.informers.values()))

    # --- indexes -----------------------------------------------------------------------------------------

    def _on_change(self, kind: str, event: str, old: Obj | None, new: Obj | None) -> None:
        del event  # the indexes only need the before and after states
        if old is not None:
            self._unindex(kind, old)
        if new is not None:
            self._index(kind, new)
        self.changes += 1
        self._change_event.set()

    def _index(self, kind: str, obj: Obj) -> None:
        meta = obj.get("metadata") or {}
        namespace, name = str(meta.get("namespace", "")), str(meta.get("name", ""))
        key = (namespace, name)
        self._by_namespace[(kind, namespace)][name] = obj
        if kind == "pods":
            node = (obj.get("spec") or {}).get("nodeName")
            if node:
                self._by_node[node].add(key)
        for ref in meta.get("ownerReferences") or []:
            self._by_owner[str(ref.get("uid", ""))].add((kind, namespace, name))
        for label, value in (meta.get("labels") or {}).items():
            self._labels[kind][label].setdefault(value, set()).add(key)

    def derived(self, kind: str, obj: Obj, fact: str, compute: Callable[[Obj], T]) -> T:
        """A fact computed from a cached object (a pod's status summary, its summed requests), remembered
        until the object changes: answers over thousands of objects then cost a lookup per object."""
        meta = obj.get("metadata") or {}
        key = (kind, str(meta.get("namespace", "")), str(meta.get("name", "")))
        version = str(meta.get("resourceVersion", ""))
        entry = self._derived.get(key)
        if entry is None or entry[0] != version:
            entry = (version, {})
            self._derived[key] = entry
        facts = entry[1]
        if fact not in facts:
            facts[fact] = compute(obj)
        return facts[fact]  # type: ignore[no-any-return]

    def _unindex(self, kind: str, obj: Obj) -> None:
        meta = obj.get("metadata") or {}
        namespace, name = str(meta.get("namespace", "")), str(meta.get("name", ""))
        key = (namespace, name)
        self._derived.pop((kind, namespace, name), None)
        bucket = self._by_namespace.get((kind, namespace))
        if bucket is not None:
            bucket.pop(name, None)
            if not bucket:
                del self._by_namespace[(kind, namespace)]
        if kind == "pods":
            node = (obj.get("spec") or {}).get("nodeName")
            if node and node in self._by_node:
                self._by_node[node].discard(key)
        for ref in meta.get("ownerReferences") or []:
            owned = self._by_owner.get(str(ref.get("uid", "")))
            if owned is not None:
                owned.discard((kind, namespace, name))
        for label, value in (meta.get("labels") or {}).items():
            values = self._labels[kind].get(label)
            if values is not None and value in values:
                values[value].discard(key)
                if not values[value]:
                    del values[value]

    # --- queries -----------------------------------------------------------------------------------------

    def get(self, kind: str, name: str, namespace: str | None = None) -> Obj | None:
        return self.informers[kind].objects.get((namespace or "", name))

    def select(self, kind: str, namespace: str | None = None, *, selector: LabelSelector | None = None,
               node: str | None = None, ordered: bool = True) -> list[Obj]:
        """Objects of a kind, filtered, by namespace and name unless `ordered` is False (counting needs no
        order); uses the narrowest index available."""
        informer = self.informers[kind]
        candidates: Iterable[Obj]
        if node is not None and kind == "pods":
            keys = self._by_node.get(node, set())
            candidates = [obj for key in keys if (obj := informer.objects.get(key)) is not None
                          and (namespace is None or key[0] == namespace)]
        elif selector is not None and self._equality_keys(selector):
            candidates = self._select_by_labels(kind, selector, namespace)
        elif namespace is not None:
            candidates = self._by_namespace.get((kind, namespace), {}).values()
        else:
            candidates = informer.objects.values()
        if selector is not None and not selector.empty:
            candidates = [obj for obj in candidates if selector.matches((obj.get("metadata") or {}).get("labels"))]
        return sorted(candidates, key=_sort_key) if ordered else list(candidates)

    @staticmethod
    def _equality_keys(selector: LabelSelector) -> list[tuple[str, str]]:
        return [(req.key, req.values[0]) for req in selector.requirements if req.operator == "=" and req.values]

    def _select_by_labels(self, kind: str, selector: LabelSelector, namespace: str | None) -> list[Obj]:
        objects = self.informers[kind].objects
        sets = [self._labels[kind].get(key, {}).get(value, set()) for key, value in self._equality_keys(selector)]
        keys = set.intersection(*sets) if sets else set()
        return [objects[key] for key in keys if key in objects and (namespace is None or key[0] == namespace)]

    def owned_by(self, uid: str) -> list[tuple[str, Obj]]:
        """(kind, object) pairs whose ownerReferences name `uid`."""
        found = []
        for kind, namespace, name in self._by_owner.get(uid, set()):
            obj = self.informers[kind].objects.get((namespace, name)) if kind in self.informers else None
            if obj is not None:
                found.append((kind, obj))
        return found

    def namespaces(self) -> list[str]:
        return sorted(name for _, name in self.informers["namespaces"].objects) \
            if "namespaces" in self.informers else []

    def count(self, kind: str) -> int:
        return len(self.informers[kind].objects)

    async def wait_for_change(self, timeout: float) -> bool:
        """Wait until any cached object changes (tests and benchmarks use it)."""
        self._change_event.clear()
        try:
            await asyncio.wait_for(self._change_event.wait(), timeout)
            return True
        except TimeoutError:
            return False

    # --- status ------------------------------------------------------------------------------------------

    def status(self) -> CacheStatus:
        kinds = {name: informer.status for name, informer in self.informers.items()}
        not_permitted = sorted(n for n, s in kinds.items() if s.state == SyncState.NOT_PERMITTED)
        not_served = sorted(n for n, s in kinds.items() if s.state == SyncState.NOT_SERVED)
        active = {n: s for n, s in kinds.items() if s.state not in (SyncState.NOT_PERMITTED, SyncState.NOT_SERVED)}
        if not active:
            return CacheStatus(SyncState.NOT_PERMITTED if not_permitted else SyncState.NOT_SERVED,
                               "no kind can be read", None, not_permitted, not_served, kinds)
        failing = [s for s in active.values() if s.state in (SyncState.STALE, SyncState.UNREACHABLE)]
        if failing:
            ever_synced = any(s.synced_at is not None for s in active.values())
            since = min((s.stale_since for s in failing if s.stale_since is not None), default=None)
            state = SyncState.STALE if ever_synced else SyncState.UNREACHABLE
            return CacheStatus(state, failing[0].reason, since, not_permitted, not_served, kinds)
        if any(s.state == SyncState.SYNCING for s in active.values()):
            return CacheStatus(SyncState.SYNCING, "", None, not_permitted, not_served, kinds)
        return CacheStatus(SyncState.SYNCED, "", None, not_permitted, not_served, kinds)


def _sort_key(obj: Obj) -> tuple[str, str]:
    meta = obj.get("metadata") or {}
    return str(meta.get("namespace", "")), str(meta.get("name", ""))
