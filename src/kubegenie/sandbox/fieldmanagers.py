"""metadata.managedFields: which manager owns which field, in the apiserver's FieldsV1 format.

Creates, updates and patches record `Update` entries the way the apiserver's field manager does: the
writing manager takes the fields its write added or changed (from whoever owned them), removed fields
leave every set, a client may replace managedFields outright, and update managers beyond ten fold into
`ancient-changes`. Server-side apply (`patch/apply.py`) computes `Apply` entries with the same tools.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kubegenie.domain.durations import rfc3339
from kubegenie.sandbox.patch.fieldset import FieldSet
from kubegenie.sandbox.patch.shapes import Shapes
from kubegenie.sandbox.patch.typed import NULL, TypedWalker
from kubegenie.sandbox.resources import ResourceType
from kubegenie.sandbox.schemas import OBJECT_META, Schema
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

APPLY = "Apply"
UPDATE = "Update"
BEFORE_FIRST_APPLY = "before-first-apply"
ANCIENT_CHANGES = "ancient-changes"
MAX_UPDATE_MANAGERS = 10
# Metadata the server owns; it never appears in a field set (the apiserver's stripMeta list).
_SERVER_META = ("name", "namespace", "creationTimestamp", "selfLink", "uid", "clusterName", "generation",
                "managedFields", "resourceVersion")
# Metadata a write cannot set, left out of the compared views.
UNTRACKED_META = frozenset({"uid", "resourceVersion", "generation", "creationTimestamp", "deletionTimestamp",
                             "deletionGracePeriodSeconds", "managedFields", "selfLink"})
# Optional struct fields Go serialises even when empty (non-pointer structs), by schema definition.
_ALWAYS_PRESENT = {
    "io.k8s.api.apps.v1.DeploymentSpec": ("strategy", "template"),
    "io.k8s.api.apps.v1.StatefulSetSpec": ("template", "updateStrategy"),
    "io.k8s.api.apps.v1.DaemonSetSpec": ("template", "updateStrategy"),
    "io.k8s.api.apps.v1.ReplicaSetSpec": ("template",),
    "io.k8s.api.core.v1.PodTemplateSpec": ("metadata", "spec"),
    "io.k8s.api.batch.v1.JobTemplateSpec": ("metadata", "spec"),
}
_REF_PREFIX = "#/$defs/"


@dataclass(frozen=True)
class ManagerKey:
    """What makes two entries the same manager: Update entries also differ by API version."""

    manager: str
    operation: str
    api_version: str = ""
    subresource: str = ""

    def describe(self) -> str:
        """The manager as conflict messages name it: `"kubectl-client-side-apply" using apps/v1`."""
        text = f'"{self.manager}"'
        if self.subresource:
            text += f' with subresource "{self.subresource}"'
        if self.operation == UPDATE:
            text += f" using {self.api_version}"
        return text

    def identifier(self) -> str:
        """The JSON the apiserver keys managers by; conflicts are listed in this order."""
        parts = [f'"manager":"{self.manager}"', f'"operation":"{self.operation}"']
        if self.api_version:
            parts.append(f'"apiVersion":"{self.api_version}"')
        if self.subresource:
            parts.append(f'"subresource":"{self.subresource}"')
        return "{" + ",".join(parts) + "}"


@dataclass
class Entry:
    fields: FieldSet
    api_version: str
    time: str | None = None


@dataclass
class Managed:
    entries: dict[ManagerKey, Entry] = field(default_factory=dict)

    def copy(self) -> Managed:
        return Managed({key: Entry(entry.fields.copy(), entry.api_version, entry.time)
                        for key, entry in self.entries.items()})

    def owned(self) -> FieldSet:
        result = FieldSet()
        for entry in self.entries.values():
            result = result.union(entry.fields)
        return result

    def take(self, fields: FieldSet, keep: ManagerKey | None = None) -> None:
        """Remove `fields` from every manager but `keep`; managers left with nothing disappear."""
        for key in list(self.entries):
            if key != keep:
                entry = self.entries[key]
                entry.fields = entry.fields.difference(fields)
        self.drop_empty()

    def drop_empty(self) -> None:
        for key in [key for key, entry in self.entries.items() if entry.fields.empty()]:
            del self.entries[key]


def decode(entries: Any) -> Managed | None:
    """managedFields as stored or sent; None when they are not a valid list of FieldsV1 entries."""
    if not isinstance(entries, list):
        return None
    managed = Managed()
    for raw in entries:
        if not isinstance(raw, dict) or raw.get("fieldsType", "FieldsV1") != "FieldsV1":
            return None
        operation = str(raw.get("operation") or "")
        api_version = str(raw.get("apiVersion") or "")
        key = ManagerKey(str(raw.get("manager") or ""), operation, api_version if operation != APPLY else "",
                         str(raw.get("subresource") or ""))
        fields = FieldSet.from_fields_v1(raw.get("fieldsV1") or {})
        time = raw.get("time") if isinstance(raw.get("time"), str) else None
        if key in managed.entries:
            managed.entries[key].fields = managed.entries[key].fields.union(fields)
        else:
            managed.entries[key] = Entry(fields, api_version, time)
    managed.drop_empty()
    return managed


def encode(managed: Managed) -> list[Obj]:
    """Entries sorted as the apiserver sorts them: Apply before Update, then oldest first."""
    def order(item: tuple[ManagerKey, Entry]) -> tuple[str, str, str, str, str]:
        key, entry = item
        return key.operation, entry.time or "", key.manager, entry.api_version, key.subresource

    result: list[Obj] = []
    for key, entry in sorted(managed.entries.items(), key=order):
        fields = strip_server_fields(entry.fields)
        if fields.empty():
            continue
        encoded: Obj = {"manager": key.manager, "operation": key.operation, "apiVersion": entry.api_version}
        if entry.time is not None:
            encoded["time"] = entry.time
        encoded.update({"fieldsType": "FieldsV1", "fieldsV1": fields.to_fields_v1()})
        if key.subresource:
            encoded["subresource"] = key.subresource
        result.append(encoded)
    return result


def strip_server_fields(fields: FieldSet) -> FieldSet:
    result = fields.without("f:apiVersion").without("f:kind")
    meta = result.get("f:metadata")
    if meta is not None:
        for name in _SERVER_META:
            meta.children.pop(f"f:{name}", None)
        meta.member = False
        if meta.empty():
            result.children.pop("f:metadata")
    return result


def tracked_view(rtype: ResourceType, obj: Obj, subresource: str | None) -> Obj:
    """The part of an object whose ownership is tracked: the status alone for `/status`, otherwise
    everything but type, server-owned metadata and (for types with a status subresource) the status."""
    meta = obj.get("metadata") or {}
    identity = {key: meta[key] for key in ("name", "namespace") if meta.get(key)}
    if subresource == "status":
        view: Obj = {"metadata": identity}
        if obj.get("status") is not None:
            view["status"] = obj["status"]
        return view
    drop_status = rtype.subresource("status") is not None
    view = {key: value for key, value in obj.items()
            if key not in ("apiVersion", "kind", "metadata") and not (drop_status and key == "status")}
    view["metadata"] = {key: value for key, value in meta.items() if key not in UNTRACKED_META}
    return view


def object_schema(cluster: Cluster, rtype: ResourceType) -> Schema | None:
    """The kind's schema; custom resources get the real ObjectMeta schema for their metadata."""
    schema = Shapes(cluster.schemas).kind_schema(rtype.api_version, rtype.kind)
    if schema is None or not rtype.custom:
        return schema
    properties = dict(schema.get("properties") or {})
    properties["metadata"] = {"$ref": _REF_PREFIX + OBJECT_META}
    return {**schema, "properties": properties}


def empty_object(cluster: Cluster, rtype: ResourceType) -> Obj:
    """The object a create starts from, as Go serialises a new empty value: required fields and non-pointer
    structs are present (as null or `{}`), everything optional is absent."""
    group, _, version = rtype.api_version.rpartition("/")
    name = cluster.schemas.definition_name(group, version, rtype.kind)
    if name is None:
        return {"metadata": {}}
    definitions = cluster.schemas.definitions
    result = _skeleton(definitions, name, top=True)
    return result if isinstance(result, dict) else {"metadata": {}}


def _skeleton(definitions: dict[str, Schema], name: str, top: bool = False, depth: int = 0) -> Any:
    definition = definitions.get(name) or {}
    properties = definition.get("properties") or {}
    if not properties or definition.get("x-kubernetes-map-type") == "atomic" or depth > 8:
        return NULL
    present = set(definition.get("required") or []) | set(_ALWAYS_PRESENT.get(name, ()))
    if top:
        present |= {"metadata", "spec", "status"} & properties.keys()
    result: dict[str, Any] = {}
    for key in properties:
        if key not in present:
            continue
        ref = properties[key].get("$ref") if isinstance(properties[key], dict) else None
        if isinstance(ref, str) and ref.startswith(_REF_PREFIX):
            result[key] = _skeleton(definitions, ref[len(_REF_PREFIX):], depth=depth + 1)
        else:
            result[key] = NULL
    return result


class FieldManagers:
    """Keeps metadata.managedFields up to date on every create, update and patch."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.walker = TypedWalker(Shapes(cluster.schemas))
        self._empty: dict[tuple[str, str], Obj] = {}

    def empty_object(self, rtype: ResourceType) -> Obj:
        """The (shared, read-only) empty object of a kind; see `empty_object`."""
        key = (rtype.api_version, rtype.kind)
        if key not in self._empty:
            self._empty[key] = empty_object(self.cluster, rtype)
        return self._empty[key]

    def now(self) -> str:
        return rfc3339(self.cluster.clock.now())

    def on_create(self, rtype: ResourceType, obj: Obj, manager: str | None, operation: str = UPDATE) -> None:
        """A created object: managedFields the client sent are kept, and the creator owns what it set."""
        meta = obj["metadata"]
        managed = decode(meta.get("managedFields")) or Managed()
        if manager:
            self.record_update(rtype, managed, self.empty_object(rtype), obj, manager, None, operation)
        self._store(meta, managed)

    def on_update(self, rtype: ResourceType, old: Obj, new: Obj, manager: str | None, operation: str,
                  subresource: str | None) -> None:
        """Record the fields an update or non-apply patch changed under its manager."""
        if operation == APPLY:
            return  # patch/apply.py has written the entries already
        meta = new["metadata"]
        previous = old["metadata"].get("managedFields")
        sent = meta.get("managedFields")
        if not manager and (sent == previous or not sent):
            # Writes without a manager (the control plane's own) leave ownership as it was.
            if previous:
                meta["managedFields"] = previous
            else:
                meta.pop("managedFields", None)
            return
        managed = self._starting_point(sent, previous, subresource)
        if manager:
            self.record_update(rtype, managed, old, new, manager, subresource, operation)
        self._store(meta, managed)

    def _starting_point(self, sent: Any, previous: Any, subresource: str | None) -> Managed:
        """A client may replace managedFields outright (a list of one empty entry clears them); an empty
        or unreadable list keeps the stored ones, so clients that drop the field lose nothing."""
        stored = decode(previous) or Managed()
        if subresource or sent == previous or not isinstance(sent, list) or not sent:
            return stored
        if all(isinstance(entry, dict) and not entry.get("manager") and not entry.get("fieldsV1")
               for entry in sent):
            return Managed()
        given = decode(sent)
        return given if given is not None and given.entries else stored

    def record_update(self, rtype: ResourceType, managed: Managed, old: Obj, new: Obj, manager: str,
                      subresource: str | None, operation: str = UPDATE) -> None:
        """The writer takes every field it added or changed; removed fields leave every manager."""
        schema = object_schema(self.cluster, rtype)
        comparison = self.walker.compare(tracked_view(rtype, old, subresource),
                                         tracked_view(rtype, new, subresource), schema)
        changed = comparison.changed()
        managed.take(changed.union(comparison.removed))
        if changed.empty():
            return
        key = ManagerKey(manager, operation, rtype.api_version if operation != APPLY else "", subresource or "")
        entry = managed.entries.get(key)
        if entry is None:
            managed.entries[key] = Entry(changed, rtype.api_version, self.now())
        else:
            entry.fields = entry.fields.union(changed)
            entry.api_version = rtype.api_version
            entry.time = self.now()
        cap_update_managers(managed)

    def _store(self, meta: Obj, managed: Managed) -> None:
        encoded = encode(managed)
        if encoded:
            meta["managedFields"] = encoded
        else:
            meta.pop("managedFields", None)

    def store(self, meta: Obj, managed: Managed) -> None:
        self._store(meta, managed)


def cap_update_managers(managed: Managed, limit: int = MAX_UPDATE_MANAGERS) -> None:
    """Fold the oldest Update entries into one `ancient-changes` entry per API version."""
    updaters = [key for key in managed.entries if key.operation == UPDATE]
    if len(updaters) <= limit:
        return
    updaters.sort(key=lambda key: (managed.entries[key].time or "", key.identifier()))
    first_of_version: dict[str, ManagerKey] = {}
    remaining = len(updaters)
    for key in updaters:
        if remaining <= limit:
            break
        entry = managed.entries[key]
        bucket = ManagerKey(ANCIENT_CHANGES, UPDATE, entry.api_version)
        first = first_of_version.get(entry.api_version)
        if first is None:
            first_of_version[entry.api_version] = key
            continue
        if bucket not in managed.entries:
            managed.entries[bucket] = managed.entries.pop(first)
        target = managed.entries[bucket]
        target.fields = target.fields.union(entry.fields)
        target.time = entry.time
        del managed.entries[key]
        remaining -= 1
