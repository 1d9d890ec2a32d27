"""The versioned in-memory object store: objects by type, namespace and name, one global resourceVersion,
a bounded change history per type for watch resumption, and fan-out of changes to watchers and listeners.

It stores what it is given: defaulting, validation and API semantics live in `objects.py`. Stored
dicts are never mutated after they are stored; a write always stores a new dict. That lets objects share what
they have in common: managedFields field sets are kept once (`sharedfields.py`).
"""

from __future__ import annotations

import asyncio
import bisect
from collections import defaultdict, deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson

from kubegenie.sandbox import status
from kubegenie.sandbox.selectors import FieldSelector, LabelSelector
from kubegenie.sandbox.sharedfields import SharedFieldSets

Obj = dict[str, Any]


def list_item_json(obj: Obj, typed: bool) -> bytes:
    """An object's JSON inside a list: custom resources keep `kind` and `apiVersion`; the apiserver leaves them
    out of the items of built-in kinds (clients such as kubectl fill them in from the list's own kind)."""
    if typed:
        return orjson.dumps(obj)
    return orjson.dumps({key: value for key, value in obj.items() if key not in ("kind", "apiVersion")})


@dataclass(slots=True)
class Change:
    """One committed write, as watchers see it."""

    type: str  # ADDED | MODIFIED | DELETED
    key: str
    rv: int
    obj: Obj
    old: Obj | None = None
    _line: bytes | None = field(default=None, repr=False)

    def line(self, event_type: str | None = None) -> bytes:
        """The newline-terminated JSON watch event (cached for the common case)."""
        if event_type is None or event_type == self.type:
            if self._line is None:
                self._line = orjson.dumps({"type": self.type, "object": self.obj}) + b"\n"
            return self._line
        return orjson.dumps({"type": event_type, "object": self.obj}) + b"\n"


@dataclass(slots=True)
class WatchEvent:
    """What one watcher receives: the change and the type as it applies to this watcher's filter."""

    type: str
    change: Change

    @property
    def obj(self) -> Obj:
        return self.change.obj


class Watcher:
    """A filtered subscription to one type's changes; `None` in the queue means the store closed it."""

    def __init__(self, key: str, namespace: str | None, labels: LabelSelector | None,
                 fields: FieldSelector | None) -> None:
        self.key = key
        self.namespace = namespace
        self.labels = labels
        self.fields = fields
        self.queue: asyncio.Queue[WatchEvent | None] = asyncio.Queue()

    def matches(self, obj: Obj) -> bool:
        meta = obj.get("metadata") or {}
        if self.namespace is not None and meta.get("namespace", "") != self.namespace:
            return False
        if self.labels is not None and not self.labels.matches(meta.get("labels")):
            return False
        return self.fields is None or self.fields.matches(obj)

    def translate(self, change: Change) -> str | None:
        """The event type this watcher should see, honouring moves into and out of its filter."""
        if change.type == "DELETED":
            return "DELETED" if self.matches(change.obj) else None
        now = self.matches(change.obj)
        if change.type == "ADDED":
            return "ADDED" if now else None
        before = change.old is not None and self.matches(change.old)
        if now and before:
            return "MODIFIED"
        if now:
            return "ADDED"
        return "DELETED" if before else None

    def offer(self, change: Change) -> None:
        event_type = self.translate(change)
        if event_type is not None:
            self.queue.put_nowait(WatchEvent(event_type, change))

    def close(self) -> None:
        self.queue.put_nowait(None)


class Store:
    """All objects of one cluster. Single-threaded: call it from the event loop only."""

    def __init__(self, history_limit: int = 20_000) -> None:
        self.history_limit = history_limit
        self._rv = 1
        self._data: dict[str, dict[str, dict[str, Obj]]] = defaultdict(dict)
        self._encoded: dict[tuple[str, str, str], tuple[str, bytes]] = {}
        self._sorted: dict[str, list[tuple[str, str]]] = {}
        self._history: dict[str, deque[Change]] = defaultdict(lambda: deque(maxlen=self.history_limit))
        self._compacted: dict[str, int] = {}
        self._watchers: dict[str, set[Watcher]] = defaultdict(set)
        self._listeners: list[Callable[[Change], None]] = []
        self._field_sets = SharedFieldSets()

    # --- reads ---------------------------------------------------------------------------------------

    @property
    def resource_version(self) -> int:
        return self._rv

    def get(self, key: str, namespace: str, name: str) -> Obj | None:
        return self._data.get(key, {}).get(namespace, {}).get(name)

    def iter(self, key: str, namespace: str | None = None) -> Iterator[Obj]:
        """Objects of a type, in no particular order (fast path for controllers)."""
        by_ns = self._data.get(key)
        if not by_ns:
            return
        if namespace is not None:
            yield from by_ns.get(namespace, {}).values()
            return
        for objects in by_ns.values():
            yield from objects.values()

    def list_sorted(self, key: str, namespace: str | None = None) -> list[Obj]:
        """Objects of a type sorted by namespace then name, as etcd's key order returns them."""
        by_ns = self._data.get(key, {})
        return [by_ns[ns][name] for ns, name in self.sorted_keys(key, namespace)]

    def sorted_keys(self, key: str, namespace: str | None = None) -> list[tuple[str, str]]:
        """(namespace, name) of a type's objects in etcd key order; kept until an object is added or removed,
        so paging through a large list does not sort it again for every page."""
        keys = self._sorted.get(key)
        if keys is None:
            by_ns = self._data.get(key, {})
            keys = [(ns, name) for ns in sorted(by_ns) for name in sorted(by_ns[ns])]
            self._sorted[key] = keys
        if namespace is None:
            return keys
        start = bisect.bisect_left(keys, (namespace, ""))
        end = bisect.bisect_left(keys, (namespace + "\x00", ""))
        return keys[start:end]

    def count(self, key: str, namespace: str | None = None) -> int:
        by_ns = self._data.get(key, {})
        if namespace is not None:
            return len(by_ns.get(namespace, {}))
        return sum(len(objects) for objects in by_ns.values())

    def storage_keys(self) -> list[str]:
        return [key for key, by_ns in self._data.items() if any(by_ns.values())]

    def encoded(self, key: str, obj: Obj, typed: bool) -> bytes:
        """The object's JSON as a list item, cached per resourceVersion so large lists serialise fast. Items of
        built-in kinds (`typed=False`) carry no `kind` and `apiVersion`, as the apiserver lists them."""
        meta = obj["metadata"]
        cache_key = (key, meta.get("namespace", ""), meta["name"])
        rv = meta.get("resourceVersion", "")
        cached = self._encoded.get(cache_key)
        if cached is not None and cached[0] == rv:
            return cached[1]
        data = list_item_json(obj, typed)
        self._encoded[cache_key] = (rv, data)
        return data

    # --- writes --------------------------------------------------------------------------------------

    def _next_rv(self) -> int:
        self._rv += 1
        return self._rv

    def create(self, key: str, obj: Obj) -> Obj:
        """Store a new object; metadata.resourceVersion is set here. Caller checks for existence."""
        meta = obj["metadata"]
        self._field_sets.share(meta)
        rv = self._next_rv()
        meta["resourceVersion"] = str(rv)
        self._data[key].setdefault(meta.get("namespace", ""), {})[meta["name"]] = obj
        self._sorted.pop(key, None)
        self._commit(Change("ADDED", key, rv, obj))
        return obj

    def replace(self, key: str, obj: Obj) -> Obj:
        """Store a new version of an existing object."""
        meta = obj["metadata"]
        namespace = meta.get("namespace", "")
        old = self._data[key][namespace][meta["name"]]
        self._field_sets.share(meta, old["metadata"])
        rv = self._next_rv()
        meta["resourceVersion"] = str(rv)
        self._data[key][namespace][meta["name"]] = obj
        self._commit(Change("MODIFIED", key, rv, obj, old))
        return obj

    def remove(self, key: str, namespace: str, name: str) -> Obj:
        """Remove an object; the DELETED event carries the deletion's resourceVersion."""
        objects = self._data[key][namespace]
        old = objects.pop(name)
        self._sorted.pop(key, None)
        if not objects:
            del self._data[key][namespace]
        self._encoded.pop((key, namespace, name), None)
        rv = self._next_rv()
        final = {**old, "metadata": {**old["metadata"], "resourceVersion": str(rv)}}
        self._commit(Change("DELETED", key, rv, final, old))
        return final

    def _commit(self, change: Change) -> None:
        history = self._history[change.key]
        if len(history) == history.maxlen:
            self._compacted[change.key] = history[0].rv
        history.append(change)
        for watcher in tuple(self._watchers.get(change.key, ())):
            watcher.offer(change)
        for listener in self._listeners:
            listener(change)

    # --- watching ------------------------------------------------------------------------------------

    def add_listener(self, listener: Callable[[Change], None]) -> None:
        """Call `listener` synchronously after every committed write (controllers queue work from it)."""
        self._listeners.append(listener)

    def set_history_limit(self, limit: int) -> None:
        """Keep at most `limit` changes per type from now on; watches from before what is kept get 410 Gone."""
        self.history_limit = limit
        for key, history in self._history.items():
            kept = deque(history, maxlen=limit)
            if len(kept) < len(history):
                self._compacted[key] = history[len(history) - len(kept) - 1].rv
            self._history[key] = kept

    def watch(self, key: str, namespace: str | None, labels: LabelSelector | None,
              fields: FieldSelector | None, since: int | None) -> Watcher:
        """Subscribe to a type. `since=None` starts with ADDED for every current match; otherwise the
        changes after `since` are replayed first. A `since` older than the history raises 410 Gone."""
        watcher = Watcher(key, namespace, labels, fields)
        if since is None:
            for obj in self.list_sorted(key, namespace):
                if watcher.matches(obj):
                    watcher.queue.put_nowait(WatchEvent("ADDED", Change("ADDED", key, self._rv, obj)))
        else:
            compacted = self._compacted.get(key, 0)
            if since < compacted:
                raise status.gone(f"too old resource version: {since} ({compacted + 1})")
            for change in self._history.get(key, ()):
                if change.rv > since:
                    watcher.offer(change)
        self._watchers[key].add(watcher)
        return watcher

    def unwatch(self, watcher: Watcher) -> None:
        self._watchers.get(watcher.key, set()).discard(watcher)

    def close_watchers(self, key: str | None = None) -> int:
        """End watch streams (all, or of one type); clients reconnect. Returns how many were closed."""
        closed = 0
        keys = [key] if key is not None else list(self._watchers)
        for each in keys:
            for watcher in tuple(self._watchers.get(each, ())):
                watcher.close()
                self._watchers[each].discard(watcher)
                closed += 1
        return closed
