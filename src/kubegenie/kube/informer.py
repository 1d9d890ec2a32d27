"""One kind's list-then-watch loop (client-go's reflector): list with pagination, watch from the list's
resourceVersion with bookmarks, relist after 410 Gone, reconnect with capped exponential back-off,
and report the kind's state (syncing, synced, stale since T, unreachable, not permitted)."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from kubegenie import errors
from kubegenie.kube.client import ClusterClient
from kubegenie.kube.kinds import Kind

Obj = dict[str, Any]
Key = tuple[str, str]  # (namespace, name)


class SyncState(StrEnum):
    SYNCING = "syncing"
    SYNCED = "synced"
    STALE = "stale"
    UNREACHABLE = "unreachable"
    NOT_PERMITTED = "not_permitted"
    NOT_SERVED = "not_served"


@dataclass
class KindStatus:
    state: SyncState = SyncState.SYNCING
    reason: str = ""
    synced_at: float | None = None
    stale_since: float | None = None
    resource_version: str = ""
    relists: int = 0
    reconnects: int = 0


class _Expired(Exception):
    """The watch's resourceVersion is too old: relist."""


# on_change(kind, type, old, new): old is None for ADDED, new is None for DELETED.
ChangeHandler = Callable[[str, str, Obj | None, Obj | None], None]


class Informer:
    """Keeps `objects` equal to the server's objects of one kind."""

    def __init__(self, client: ClusterClient, kind: Kind, on_change: ChangeHandler,
                 max_backoff: float = 30.0, watch_timeout: tuple[int, int] = (300, 600)) -> None:
        self.client = client
        self.kind = kind
        self.on_change = on_change
        self.objects: dict[Key, Obj] = {}
        self.status = KindStatus()
        self.max_backoff = max_backoff
        self.watch_timeout = watch_timeout
        self._synced = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"informer-{self.client.context}-{self.kind.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def wait_settled(self) -> None:
        """Return once the first sync finished or failed for good."""
        await self._synced.wait()

    @staticmethod
    def _key(obj: Obj) -> Key:
        meta = obj.get("metadata") or {}
        return str(meta.get("namespace", "")), str(meta.get("name", ""))

    async def _run(self) -> None:
        backoff = 0.5
        resource_version = ""
        while True:
            try:
                if not resource_version:
                    resource_version = await self._relist()
                    backoff = 0.5
                resource_version = await self._watch(resource_version)
                backoff = 0.5
            except _Expired:
                resource_version = ""
                self.status.relists += 1
            except errors.PermissionDenied as exc:
                self._fail(SyncState.NOT_PERMITTED, exc.message)
                await asyncio.sleep(300)  # Permissions rarely change; check again now and then.
                resource_version = ""
            except errors.NotFound as exc:
                self._fail(SyncState.NOT_SERVED, f"{self.kind.name} is not served by this cluster ({exc.message})")
                await asyncio.sleep(300)
                resource_version = ""
            except errors.KubeGenieError as exc:
                self._fail(SyncState.UNREACHABLE if not self.objects else SyncState.STALE, exc.message)
                self.status.reconnects += 1
                await asyncio.sleep(backoff * (0.5 + random.random()))
                backoff = min(backoff * 2, self.max_backoff)
                # After losing the server, relist rather than resume: a restarted server may have
                # lost its history, and a relist converges to its state whatever happened meanwhile.
                resource_version = ""

    def _fail(self, state: SyncState, reason: str) -> None:
        self.status.state = state
        self.status.reason = reason
        if self.status.stale_since is None and state in (SyncState.STALE, SyncState.UNREACHABLE):
            self.status.stale_since = time.time()
        if state in (SyncState.NOT_PERMITTED, SyncState.NOT_SERVED) or not self.objects:
            self._synced.set()

    def _mark_synced(self, resource_version: str) -> None:
        self.status.state = SyncState.SYNCED
        self.status.reason = ""
        self.status.stale_since = None
        self.status.synced_at = time.time()
        self.status.resource_version = resource_version
        self._synced.set()

    async def _relist(self) -> str:
        items, resource_version = await self.client.list(self.kind.path)
        fresh = {self._key(obj): self.kind.transform(obj) for obj in items}
        for key, old in list(self.objects.items()):
            if key not in fresh:
                del self.objects[key]
                self.on_change(self.kind.name, "DELETED", old, None)
        for key, new in fresh.items():
            previous = self.objects.get(key)
            if previous is None or previous.get("metadata", {}).get("resourceVersion") != \
                    new.get("metadata", {}).get("resourceVersion"):
                self.objects[key] = new
                self.on_change(self.kind.name, "ADDED" if previous is None else "MODIFIED", previous, new)
        self._mark_synced(resource_version)
        return resource_version

    async def _watch(self, resource_version: str) -> str:
        timeout = random.randint(*self.watch_timeout)
        def opened() -> None:
            if self.status.state != SyncState.SYNCED:
                self._mark_synced(resource_version)

        async for event in self.client.watch(self.kind.path, resource_version, timeout_seconds=timeout,
                                             on_open=opened):
            event_type = event.get("type")
            obj = event.get("object") or {}
            if event_type == "ERROR":
                if obj.get("code") == 410:
                    raise _Expired
                raise errors.ClusterServerError(f"watch of {self.kind.name} failed: {obj.get('message', obj)}")
            rv = str((obj.get("metadata") or {}).get("resourceVersion", "")) or resource_version
            if event_type == "BOOKMARK":
                resource_version = rv
                continue
            key = self._key(obj)
            if event_type == "DELETED":
                old = self.objects.pop(key, None)
                if old is not None:
                    self.on_change(self.kind.name, "DELETED", old, None)
            elif event_type in ("ADDED", "MODIFIED"):
                new = self.kind.transform(obj)
                old = self.objects.get(key)
                self.objects[key] = new
                self.on_change(self.kind.name, "ADDED" if old is None else "MODIFIED", old, new)
            resource_version = rv
            self.status.resource_version = resource_version
        return resource_version
