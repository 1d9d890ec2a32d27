"""Server-side apply (`application/apply-patch+yaml`), as the apiserver's field manager does it: the applied
configuration is merged into the live object, fields the manager applied before and omits now are removed
unless another manager owns them, and changing a field another manager owns is a 409 conflict unless
forced (then ownership moves). kubectl's own manager (`kubectl`) may take over fields its client-side
apply owned without conflict while they still hold the last-applied values, and keeps the last-applied
annotation in step. Objects nobody manages are first owned by `before-first-apply`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from kubegenie.sandbox import status
from kubegenie.sandbox.fieldmanagers import (
    APPLY,
    BEFORE_FIRST_APPLY,
    UNTRACKED_META,
    Entry,
    FieldManagers,
    Managed,
    ManagerKey,
    decode,
    object_schema,
    tracked_view,
)
from kubegenie.sandbox.patch.fieldset import FieldSet, path_text
from kubegenie.sandbox.patch.typed import ApplyError, same
from kubegenie.sandbox.resources import ResourceType
from kubegenie.sandbox.schemas import Schema
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster
    from kubegenie.sandbox.objects import WriteOptions

LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration"
KUBECTL_MANAGER = "kubectl"


def apply(cluster: Cluster, rtype: ResourceType, current: Obj, document: dict[str, Any], options: WriteOptions,
          subresource: str | None) -> Obj:
    """The live object `current` after applying `document`; `current` is not changed."""
    return ServerSideApply(cluster, rtype).apply(current, document, _manager(options), options.force, subresource)


def create(cluster: Cluster, rtype: ResourceType, document: dict[str, Any], options: WriteOptions) -> Obj:
    """The object an apply creates: the configuration itself, owned by the applier."""
    return ServerSideApply(cluster, rtype).create(document, _manager(options))


def _manager(options: WriteOptions) -> str:
    return options.field_manager or "unknown"


def conflict_error(conflicts: dict[ManagerKey, FieldSet]) -> status.ApiError:
    """409 with one FieldManagerConflict cause per field, worded like the apiserver's."""
    found = [(key, path) for key in sorted(conflicts, key=lambda k: k.identifier())
             for path in conflicts[key].paths()]
    causes = [{"reason": "FieldManagerConflict", "message": f"conflict with {key.describe()}",
               "field": path_text(path)} for key, path in found]
    if len(found) == 1:
        key, path = found[0]
        message = f"Apply failed with 1 conflict: conflict with {key.describe()}: {path_text(path)}"
    else:
        lines: list[str] = []
        for key in sorted(conflicts, key=lambda k: k.identifier()):
            lines.append(f"conflicts with {key.describe()}:")
            lines.extend(f"- {path_text(path)}" for path in conflicts[key].paths())
        message = f"Apply failed with {len(found)} conflicts: " + "\n".join(lines)
    return status.ApiError(409, "Conflict", message, {"causes": causes})


def last_applied_text(document: dict[str, Any]) -> str:
    """The configuration as the last-applied annotation holds it (without that annotation)."""
    config = orjson.loads(orjson.dumps(document))
    annotations = (config.get("metadata") or {}).get("annotations")
    if isinstance(annotations, dict):
        annotations.pop(LAST_APPLIED, None)
        if not annotations:
            del config["metadata"]["annotations"]
    return orjson.dumps(config, option=orjson.OPT_SORT_KEYS).decode() + "\n"


class ServerSideApply:
    def __init__(self, cluster: Cluster, rtype: ResourceType) -> None:
        self.cluster = cluster
        self.rtype = rtype
        self.managers: FieldManagers = cluster.field_managers
        self.walker = self.managers.walker
        self.schema: Schema | None = object_schema(cluster, rtype)

    def _check(self, document: dict[str, Any]) -> None:
        api_version, kind = document.get("apiVersion"), document.get("kind")
        if api_version != self.rtype.api_version or kind != self.rtype.kind:
            group, _, version = str(api_version or "").rpartition("/")
            if kind == self.rtype.kind:
                raise status.bad_request(f"Incorrect version specified in apply patch. Specified patch version: "
                                         f"{api_version or ''}, expected: {self.rtype.api_version}")
            raise status.bad_request(f"invalid object type: {group}/{version}, Kind={kind or ''}")
        if (document.get("metadata") or {}).get("managedFields") is not None:
            raise status.bad_request("metadata.managedFields must be nil")

    def _config_set(self, view: Obj) -> FieldSet:
        try:
            return self.walker.field_set(view, self.schema, strict=True)
        except ApplyError as exc:
            raise status.ApiError(500, "", f"failed to create typed patch object ({self.rtype.api_version}, "
                                           f"Kind={self.rtype.kind}): {exc}") from exc

    def create(self, document: dict[str, Any], manager: str) -> Obj:
        self._check(document)
        fields = self._config_set(tracked_view(self.rtype, document, None))
        managed = Managed({ManagerKey(manager, APPLY): Entry(fields, self.rtype.api_version, self.managers.now())})
        result: Obj = orjson.loads(orjson.dumps(document))
        self.managers.store(result.setdefault("metadata", {}), managed)
        return result

    def apply(self, current: Obj, document: dict[str, Any], manager: str, force: bool,
              subresource: str | None) -> Obj:
        self._check(document)
        live = tracked_view(self.rtype, current, subresource)
        config = tracked_view(self.rtype, document, subresource)
        managed = decode(current["metadata"].get("managedFields")) or Managed()
        if not managed.entries:
            self.managers.record_update(self.rtype, managed, self.managers.empty_object(self.rtype), current,
                                        BEFORE_FIRST_APPLY, subresource)
        key = ManagerKey(manager, APPLY, "", subresource or "")
        fields = self._config_set(config)
        try:
            merged = self.walker.merge(live, config, self.schema)
        except ApplyError as exc:
            raise status.ApiError(500, "", f"failed to merge config: {exc}") from exc
        previous = managed.entries.get(key)
        managed.entries[key] = Entry(fields, self.rtype.api_version, previous.time if previous else None)
        if previous is not None:
            merged = self._prune(merged, previous.fields, managed)
        comparison = self.walker.compare(live, merged, self.schema)
        changed = comparison.changed()
        conflicts = {other: entry.fields.intersection(changed) for other, entry in managed.entries.items()
                     if other != key}
        conflicts = {other: found for other, found in conflicts.items() if not found.empty()}
        if conflicts and not force:
            conflicts = self._not_allowed(conflicts, current, live, manager, subresource)
            if conflicts:
                raise conflict_error(conflicts)
            conflicts = {other: entry.fields.intersection(changed) for other, entry in managed.entries.items()
                         if other != key}
        for other, taken in conflicts.items():
            managed.entries[other].fields = managed.entries[other].fields.difference(taken)
        managed.take(comparison.removed, keep=key)
        if not same(live, merged):
            managed.entries[key].time = self.managers.now()
        result = self._rebuild(current, merged, subresource)
        if manager == KUBECTL_MANAGER:
            self._sync_last_applied(result, document)
        self.managers.store(result["metadata"], managed)
        return result

    def _prune(self, merged: Obj, last: FieldSet, managed: Managed) -> Obj:
        """Drop what the applier set last time and no longer sets, unless someone else owns it."""
        owned = self.walker.with_named_fields(managed.owned(), self.schema)
        gone = self.walker.with_named_fields(last, self.schema).difference(owned)
        if gone.empty():
            return merged
        pruned: Obj = self.walker.remove(merged, gone, self.schema)
        return pruned

    def _not_allowed(self, conflicts: dict[ManagerKey, FieldSet], current: Obj, live: Obj, manager: str,
                     subresource: str | None) -> dict[ManagerKey, FieldSet]:
        """Conflicts that remain once kubectl may take over fields still holding their last-applied values."""
        if manager != KUBECTL_MANAGER:
            return conflicts
        allowed = self._last_applied_fields(current, live, subresource)
        if allowed is None:
            return conflicts
        remaining = {other: found.difference(allowed) for other, found in conflicts.items()}
        return {other: found for other, found in remaining.items() if not found.empty()}

    def _last_applied_fields(self, current: Obj, live: Obj, subresource: str | None) -> FieldSet | None:
        annotations = current["metadata"].get("annotations") or {}
        text = annotations.get(LAST_APPLIED)
        if not text:
            return None
        try:
            last_applied = orjson.loads(text)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(last_applied, dict) or last_applied.get("apiVersion") != self.rtype.api_version:
            return None
        view = tracked_view(self.rtype, last_applied, subresource)
        try:
            fields = self.walker.field_set(view, self.schema, strict=True)
        except ApplyError:
            return None
        comparison = self.walker.compare(view, live, self.schema)
        return fields.difference(comparison.modified).difference(comparison.added).difference(comparison.removed)

    def _rebuild(self, current: Obj, merged: Obj, subresource: str | None) -> Obj:
        """The full object: the merged tracked part plus what the server owns (type, system metadata and,
        where apply does not reach it, the status) from the live object."""
        live: Obj = orjson.loads(orjson.dumps(current))
        if subresource == "status":
            if "status" in merged:
                live["status"] = merged["status"]
            return live
        meta = {key: value for key, value in live["metadata"].items() if key in UNTRACKED_META}
        meta.update(merged.get("metadata") or {})
        rebuilt: Obj = {"apiVersion": live.get("apiVersion", self.rtype.api_version),
                        "kind": live.get("kind", self.rtype.kind), "metadata": meta,
                        **{key: value for key, value in merged.items() if key != "metadata"}}
        if "status" in live and "status" not in merged:
            rebuilt["status"] = live["status"]
        return rebuilt

    def _sync_last_applied(self, obj: Obj, document: dict[str, Any]) -> None:
        """kubectl's server-side apply keeps an existing client-side last-applied annotation current."""
        annotations = obj["metadata"].get("annotations")
        if isinstance(annotations, dict) and LAST_APPLIED in annotations:
            annotations[LAST_APPLIED] = last_applied_text(document)

