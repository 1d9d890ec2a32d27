"""metadata.managedFields: which manager set which field, in the FieldsV1 format of the apiserver.

Each write records the fields its manager touched (an `Update` entry per manager, an `Apply` entry
for server-side apply). Server-side apply conflicts are computed from these sets in `patch/apply.py`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from kubegenie.domain.durations import rfc3339
from kubegenie.sandbox.resources import ResourceType
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

FieldSet = dict[str, Any]
_SYSTEM_META = frozenset({"name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp",
                          "deletionTimestamp", "deletionGracePeriodSeconds", "managedFields", "generateName",
                          "selfLink"})


def _merge_key_value(item: Any, merge_key: str | None) -> str | None:
    if not isinstance(item, dict):
        return None
    keys = [merge_key] if merge_key and merge_key in item else []
    if not keys:
        keys = [key for key in ("name", "containerPort", "mountPath", "key", "uid", "ip", "port")
                if key in item][:1]
    if not keys:
        return None
    # Ports are keyed by (containerPort, protocol) like the apiserver's list-map keys.
    fields = {key: item[key] for key in keys}
    if "containerPort" in fields and "protocol" in item:
        fields["protocol"] = item["protocol"]
    if "port" in fields and "protocol" in item:
        fields["protocol"] = item["protocol"]
    return "k:" + orjson.dumps(fields, option=orjson.OPT_SORT_KEYS).decode()


def field_set(cluster: Cluster, rtype: ResourceType, value: Any, schema: Any = None) -> FieldSet:
    """The FieldsV1 set of every leaf in `value` (the object body, without system metadata)."""
    schemas = cluster.schemas
    if schema is None:
        group, _, version = rtype.api_version.rpartition("/")
        schema = schemas.for_kind(group, version, rtype.kind)

    def walk(node: Any, node_schema: Any) -> FieldSet:
        result: FieldSet = {}
        if isinstance(node, dict):
            for key, child in node.items():
                child_schema = schemas.child(node_schema, key) if node_schema is not None else None
                if isinstance(child, dict) and child:
                    result[f"f:{key}"] = walk(child, child_schema)
                elif isinstance(child, list) and child and _is_keyed_list(child_schema, child):
                    merge_key = (child_schema or {}).get("x-kubernetes-patch-merge-key")
                    entries: FieldSet = {}
                    for item in child:
                        item_key = _merge_key_value(item, merge_key)
                        if item_key is None:
                            entries = {}
                            break
                        entries[item_key] = {".": {}, **walk(item, schemas.items(child_schema))}
                    result[f"f:{key}"] = entries if entries else {}
                else:
                    result[f"f:{key}"] = {}
        return result

    return walk(value, schema)


def _is_keyed_list(schema: Any, value: list[Any]) -> bool:
    if isinstance(schema, dict):
        if schema.get("x-kubernetes-list-type") == "map" or schema.get("x-kubernetes-patch-merge-key"):
            return True
        if schema.get("x-kubernetes-list-type") in ("atomic", "set"):
            return False
    return all(isinstance(item, dict) and "name" in item for item in value)


def _user_fields(obj: Obj, subresource: str | None) -> Obj:
    if subresource == "status":
        return {"status": obj.get("status", {})} if obj.get("status") else {}
    meta = {key: value for key, value in (obj.get("metadata") or {}).items() if key not in _SYSTEM_META}
    body = {key: value for key, value in obj.items() if key not in ("apiVersion", "kind", "metadata", "status")}
    if meta:
        body["metadata"] = meta
    return body


class FieldManagers:
    """Keeps metadata.managedFields up to date on every write."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def _entry(self, rtype: ResourceType, manager: str, operation: str, fields: FieldSet,
               subresource: str | None) -> Obj:
        entry: Obj = {"manager": manager, "operation": operation, "apiVersion": rtype.api_version,
                      "time": rfc3339(self.cluster.clock.now()), "fieldsType": "FieldsV1", "fieldsV1": fields}
        if subresource:
            entry["subresource"] = subresource
        return entry

    def on_create(self, rtype: ResourceType, obj: Obj, manager: str | None, operation: str) -> None:
        if not manager:
            return
        fields = field_set(self.cluster, rtype, _user_fields(obj, None))
        obj["metadata"]["managedFields"] = [self._entry(rtype, manager, operation, fields, None)]

    def on_apply_create(self, rtype: ResourceType, obj: Obj, applied: Obj, manager: str | None) -> None:
        fields = field_set(self.cluster, rtype, _user_fields(applied, None))
        entries = [self._entry(rtype, manager or "unknown", "Apply", fields, None)]
        obj["metadata"]["managedFields"] = entries

    def on_update(self, rtype: ResourceType, old: Obj, new: Obj, manager: str | None, operation: str,
                  subresource: str | None) -> None:
        """Record the fields a write changed under its manager (Update) or all applied ones (Apply)."""
        meta = new["metadata"]
        entries: list[Obj] = [dict(e) for e in (old["metadata"].get("managedFields") or [])]
        if not manager:
            meta["managedFields"] = entries
            if not entries:
                meta.pop("managedFields", None)
            return
        if operation == "Apply":
            return  # patch/apply.py sets the Apply entry itself.
        changed = _diff(_user_fields(old, subresource), _user_fields(new, subresource))
        if not changed:
            meta["managedFields"] = entries
            return
        fields = field_set(self.cluster, rtype, changed)
        for entry in entries:
            if entry.get("manager") == manager and entry.get("operation") == "Update" \
                    and entry.get("subresource") == subresource:
                entry["fieldsV1"] = merge_sets(entry.get("fieldsV1") or {}, fields)
                entry["time"] = rfc3339(self.cluster.clock.now())
                break
        else:
            entries.append(self._entry(rtype, manager, operation, fields, subresource))
        meta["managedFields"] = entries


def _diff(old: Any, new: Any) -> Any:
    """The part of `new` that differs from `old` (whole values for changed leaves and lists)."""
    if isinstance(old, dict) and isinstance(new, dict):
        result = {}
        for key, value in new.items():
            if key not in old:
                result[key] = value
            elif old[key] != value:
                inner = _diff(old[key], value)
                result[key] = inner if inner not in ({}, None) else value
        return result
    return new if old != new else {}


def merge_sets(left: FieldSet, right: FieldSet) -> FieldSet:
    merged = dict(left)
    for key, value in right.items():
        merged[key] = merge_sets(merged[key], value) if key in merged and isinstance(value, dict) else value
    return merged
