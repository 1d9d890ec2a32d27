"""Owner-reference garbage collection (background, foreground, orphan), as kube-controller-manager's
garbage collector does it: an index of dependents by owner uid, and work run soon after each deletion.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import defaultdict
from typing import TYPE_CHECKING

from kubegenie.sandbox import status
from kubegenie.sandbox.resources import ResourceType
from kubegenie.sandbox.store import Change, Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

DependentKey = tuple[str, str, str]  # (storage key, namespace, name)


class GarbageCollector:
    """Deletes or orphans the dependents of deleted owners; finishes foreground and orphan deletions."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._dependents: dict[str, set[DependentKey]] = defaultdict(set)
        self._by_uid: dict[str, DependentKey] = {}
        self._pending: list[tuple[str, Obj, str]] = []
        self._scheduled = False
        cluster.store.add_listener(self._index)

    # --- index ---------------------------------------------------------------------------------------

    def _index(self, change: Change) -> None:
        meta = change.obj["metadata"]
        key = (change.key, meta.get("namespace", ""), meta["name"])
        uid = meta.get("uid", "")
        if change.type == "DELETED":
            self._by_uid.pop(uid, None)
        else:
            self._by_uid[uid] = key
        if change.old is not None:
            for ref in change.old["metadata"].get("ownerReferences") or []:
                self._dependents[ref.get("uid", "")].discard(key)
        if change.type != "DELETED":
            for ref in meta.get("ownerReferences") or []:
                self._dependents[ref.get("uid", "")].add(key)
        if change.type == "MODIFIED" and meta.get("deletionTimestamp"):
            finalizers = meta.get("finalizers") or []
            if "foregroundDeletion" in finalizers or "orphan" in finalizers:
                self._queue("finish", change.obj, "")
        if change.type == "DELETED":
            # Owners waiting in foreground deletion may now be free to go.
            for ref in meta.get("ownerReferences") or []:
                owner = self._find_by_uid(ref)
                if owner is not None and "foregroundDeletion" in (owner["metadata"].get("finalizers") or []):
                    self._queue("finish", owner, "")

    def dependents(self, uid: str) -> list[Obj]:
        found = []
        for key, namespace, name in list(self._dependents.get(uid, ())):
            obj = self.cluster.store.get(key, namespace, name)
            if obj is not None:
                found.append(obj)
        return found

    def has_dependents(self, obj: Obj) -> bool:
        return bool(self.dependents(obj["metadata"]["uid"]))

    def default_propagation(self, rtype: ResourceType, obj: Obj) -> str:
        del rtype, obj
        return "Background"

    # --- events from the object API ------------------------------------------------------------------

    def on_deletion_started(self, rtype: ResourceType, obj: Obj, propagation: str) -> None:
        del rtype
        if propagation in ("Foreground", "Orphan"):
            self._queue("finish", obj, propagation)

    def on_deleted(self, rtype: ResourceType, obj: Obj, propagation: str = "Background") -> None:
        del rtype
        if propagation != "Orphan":
            self._queue("cascade", obj, propagation)

    # --- work ----------------------------------------------------------------------------------------

    def _queue(self, action: str, obj: Obj, propagation: str) -> None:
        self._pending.append((action, obj, propagation))
        if not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._drain)

    @property
    def idle(self) -> bool:
        return not self._pending and not self._scheduled

    def _drain(self) -> None:
        self._scheduled = False
        while self._pending:
            action, obj, propagation = self._pending.pop(0)
            if action == "cascade":
                self._cascade(obj, propagation or "Background")
            else:
                self._finish(obj)

    def _cascade(self, owner: Obj, propagation: str) -> None:
        uid = owner["metadata"]["uid"]
        for dependent in self.dependents(uid):
            refs = dependent["metadata"].get("ownerReferences") or []
            alive = [ref for ref in refs if ref.get("uid") != uid and self._find_by_uid(ref) is not None]
            if alive:
                self._set_owner_refs(dependent, [ref for ref in refs if ref.get("uid") != uid])
            else:
                self._delete(dependent, propagation)

    def _finish(self, owner: Obj) -> None:
        """Foreground: delete dependents first, then drop the finalizer. Orphan: unlink, then drop it."""
        meta = owner["metadata"]
        current = self._current(owner)
        if current is None:
            return
        finalizers = list(current["metadata"].get("finalizers") or [])
        uid = meta["uid"]
        if "orphan" in finalizers:
            for dependent in self.dependents(uid):
                refs = dependent["metadata"].get("ownerReferences") or []
                self._set_owner_refs(dependent, [ref for ref in refs if ref.get("uid") != uid])
            finalizers.remove("orphan")
            self._set_finalizers(current, finalizers)
            return
        if "foregroundDeletion" in finalizers:
            remaining = self.dependents(uid)
            for dependent in remaining:
                if not dependent["metadata"].get("deletionTimestamp"):
                    self._delete(dependent, "Foreground")
            if not self.dependents(uid):
                finalizers.remove("foregroundDeletion")
                self._set_finalizers(current, finalizers)

    # --- helpers -------------------------------------------------------------------------------------

    def _rtype_of(self, storage_key: str) -> ResourceType | None:
        return next(iter(self.cluster.registry.versions_of(storage_key)), None)

    def _storage_key_of(self, obj: Obj) -> str | None:
        rtype = self.cluster.registry.stored_by_kind(str(obj.get("apiVersion", "")), str(obj.get("kind", "")))
        return rtype.storage_key if rtype else None

    def _current(self, obj: Obj) -> Obj | None:
        key = self._storage_key_of(obj)
        if key is None:
            return None
        meta = obj["metadata"]
        return self.cluster.store.get(key, meta.get("namespace", ""), meta["name"])

    def _find_by_uid(self, ref: Obj) -> Obj | None:
        location = self._by_uid.get(str(ref.get("uid", "")))
        return self.cluster.store.get(*location) if location is not None else None

    def _delete(self, obj: Obj, propagation: str) -> None:
        from kubegenie.sandbox.objects import DeleteOptions

        key = self._storage_key_of(obj)
        rtype = self._rtype_of(key) if key else None
        if rtype is None:
            return
        meta = obj["metadata"]
        # Already gone, or replaced by a new object of the same name: nothing to collect then.
        with contextlib.suppress(status.ApiError):
            self.cluster.objects.delete(rtype, meta.get("namespace", ""), meta["name"],
                                        DeleteOptions(propagation=propagation, precondition_uid=meta.get("uid")))

    def _set_owner_refs(self, obj: Obj, refs: list[Obj]) -> None:
        key = self._storage_key_of(obj)
        if key is None:
            return
        new = {**obj, "metadata": {**obj["metadata"]}}
        if refs:
            new["metadata"]["ownerReferences"] = refs
        else:
            new["metadata"].pop("ownerReferences", None)
        self.cluster.store.replace(key, new)

    def _set_finalizers(self, obj: Obj, finalizers: list[str]) -> None:
        key = self._storage_key_of(obj)
        if key is None:
            return
        meta = obj["metadata"]
        if not finalizers and meta.get("deletionTimestamp"):
            removed = self.cluster.store.remove(key, meta.get("namespace", ""), meta["name"])
            self._queue("cascade", removed, "Background")
            return
        new = {**obj, "metadata": {**meta, "finalizers": finalizers}}
        if not finalizers:
            new["metadata"].pop("finalizers")
        self.cluster.store.replace(key, new)
