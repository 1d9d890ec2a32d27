"""Generic REST semantics of the apiserver over the store: create, update, patch and delete with metadata
(uid, generation, timestamps, generateName), defaulting, validation, optimistic concurrency, status/spec
separation, dry runs, finalizers and graceful deletion.

It knows nothing of HTTP. Per-kind rules live in `defaults.py`, `validation.py`, `conversions.py`, the `patch`
package and `admission/`; what happens after a deletion (garbage collection) lives in `gc.py`.
"""

from __future__ import annotations

import base64
import bisect
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import orjson

from kubegenie.domain.durations import rfc3339
from kubegenie.domain.names import name_errors
from kubegenie.sandbox import admission, bodies, conversions, defaults, status, validation
from kubegenie.sandbox.resources import ResourceType
from kubegenie.sandbox.selectors import FieldSelector, LabelSelector
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

# Kinds whose metadata.generation tracks spec changes (the apiserver strategies that implement it).
GENERATION_KEYS = frozenset({
    "apps/deployments", "apps/replicasets", "apps/statefulsets", "apps/daemonsets", "batch/jobs",
    "batch/cronjobs", "autoscaling/horizontalpodautoscalers", "policy/poddisruptionbudgets",
    "networking.k8s.io/ingresses", "networking.k8s.io/networkpolicies", "replicationcontrollers",
    "apiextensions.k8s.io/customresourcedefinitions", "admissionregistration.k8s.io/validatingwebhookconfigurations",
    "admissionregistration.k8s.io/mutatingwebhookconfigurations", "scheduling.k8s.io/priorityclasses",
})
# Fields outside metadata and status that do not count as "spec" for generation purposes.
_NOT_SPEC = frozenset({"apiVersion", "kind", "metadata", "status"})
_GENERATE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"


def deep_copy(obj: Obj) -> Obj:
    """A fast deep copy of JSON data."""
    result: Obj = orjson.loads(orjson.dumps(obj))
    return result


@dataclass(frozen=True)
class WriteOptions:
    dry_run: bool = False
    field_manager: str | None = None
    field_validation: str = "Strict"  # Strict | Warn | Ignore
    force: bool = False


@dataclass(frozen=True)
class DeleteOptions:
    propagation: str | None = None  # Background | Foreground | Orphan
    grace_period: int | None = None
    precondition_uid: str | None = None
    precondition_rv: str | None = None
    dry_run: bool = False


@dataclass
class ListPage:
    items: list[Obj]
    resource_version: str
    continue_token: str
    remaining: int | None


class ObjectAPI:
    """The apiserver's generic registry for every type, bound to one cluster."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.store = cluster.store

    # --- reads ---------------------------------------------------------------------------------------

    def get(self, rtype: ResourceType, namespace: str, name: str) -> Obj:
        obj = self.store.get(rtype.storage_key, namespace if rtype.namespaced else "", name)
        if obj is None:
            raise status.not_found(rtype, name)
        return conversions.from_storage(self.cluster, rtype, obj)

    def list_page(self, rtype: ResourceType, namespace: str | None, labels: LabelSelector | None = None,
             fields: FieldSelector | None = None, limit: int = 0, continue_token: str = "") -> ListPage:
        """A page of matching objects; continue tokens are opaque `<rv>/<namespace>/<name>` strings."""
        rv = str(self.store.resource_version)
        start_after: tuple[str, str] | None = None
        if continue_token:
            start_after, rv = _decode_continue(continue_token)
        exact = fields.exact_name() if fields is not None else None
        if exact is not None and namespace is not None:
            keys = [(namespace, exact)] if self.store.get(rtype.storage_key, namespace, exact) is not None else []
        else:
            keys = self.store.sorted_keys(rtype.storage_key, namespace)
        start = bisect.bisect_right(keys, start_after) if start_after is not None else 0
        items: list[Obj] = []
        more_at: int | None = None
        for index in range(start, len(keys)):
            obj = self.store.get(rtype.storage_key, *keys[index])
            if obj is None:
                continue
            meta = obj["metadata"]
            if labels is not None and not labels.matches(meta.get("labels")):
                continue
            if fields is not None and not fields.matches(obj):
                continue
            if limit and len(items) >= limit:
                more_at = index
                break
            items.append(obj)
        next_token = ""
        remaining: int | None = None
        if more_at is not None:
            last = items[-1]["metadata"]
            next_token = _encode_continue(rv, last.get("namespace", ""), last["name"])
            # Like the apiserver, the count of what is left is given only when no selector filters the list.
            if labels is None and fields is None:
                remaining = len(keys) - more_at
        converted = [conversions.from_storage(self.cluster, rtype, obj) for obj in items]
        return ListPage(converted, rv, next_token, remaining)

    # --- create --------------------------------------------------------------------------------------

    def create(self, rtype: ResourceType, namespace: str, body: Obj, options: WriteOptions,
               warnings: list[str] | None = None) -> Obj:
        obj = bodies.checked_copy(body)
        self._check_type_meta(rtype, obj)
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise status.bad_request("metadata must be an object")
        if rtype.namespaced:
            if meta.get("namespace") not in (None, "", namespace):
                raise status.bad_request(
                    "the namespace of the provided object does not match the namespace sent on the request")
            meta["namespace"] = namespace
        else:
            meta.pop("namespace", None)
        admission.admit(self.cluster, rtype, namespace, obj)
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = self._generate_name(rtype, namespace, str(meta["generateName"]))
        name = meta.get("name")
        if not name:
            raise status.invalid(rtype, "", [("FieldValueRequired", "metadata.name",
                                             "Required value: name or generateName is required")])
        self._check_name(rtype, str(name))
        if rtype.namespaced:
            self.cluster.namespaces.check_open(rtype, namespace, str(name))
        # Strict decoding sees the body in the version it was sent in, before conversion drops unknown fields.
        validation.check_fields(self.cluster, rtype, obj, options.field_validation, warnings)
        obj = conversions.to_storage(self.cluster, rtype, obj)
        for key in ("uid", "resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds",
                    "selfLink", "creationTimestamp"):
            meta = obj["metadata"]
            meta.pop(key, None)
        if rtype.subresource("status") is not None:
            obj.pop("status", None)
        meta = obj["metadata"]
        meta["uid"] = str(uuid.uuid4())
        meta["creationTimestamp"] = rfc3339(self.cluster.clock.now())
        if rtype.storage_key in GENERATION_KEYS or rtype.custom:
            meta["generation"] = 1
        defaults.apply(self.cluster, rtype, obj, creating=True)
        validation.validate(self.cluster, rtype, obj, None)
        storage_ns = namespace if rtype.namespaced else ""
        if self.store.get(rtype.storage_key, storage_ns, str(name)) is not None:
            raise status.already_exists(rtype, str(name))
        admission.validate(self.cluster, rtype, obj, None, options.dry_run)
        self.cluster.field_managers.on_create(rtype, obj, options.field_manager, "Update")
        meta = _ordered_metadata(meta)
        obj["metadata"] = meta
        if options.dry_run:
            meta["resourceVersion"] = ""
            return conversions.from_storage(self.cluster, rtype, obj)
        stored = self.store.create(rtype.storage_key, obj)
        return conversions.from_storage(self.cluster, rtype, stored)

    # --- update --------------------------------------------------------------------------------------

    def update(self, rtype: ResourceType, namespace: str, name: str, body: Obj, options: WriteOptions,
               subresource: str | None = None, operation: str = "Update",
               warnings: list[str] | None = None) -> Obj:
        """PUT semantics: the body replaces the object (or only its status for `/status`)."""
        obj = bodies.checked_copy(body)
        self._check_type_meta(rtype, obj)
        meta = obj.get("metadata")
        if not isinstance(meta, dict):
            raise status.bad_request("metadata must be an object")
        if meta.get("name") not in (None, name):
            raise status.bad_request(f"the name of the object ({meta.get('name')}) does not match the name on "
                                     f"the URL ({name})")
        if rtype.namespaced and meta.get("namespace") not in (None, "", namespace):
            raise status.bad_request(
                "the namespace of the provided object does not match the namespace sent on the request")
        storage_ns = namespace if rtype.namespaced else ""
        current = self.store.get(rtype.storage_key, storage_ns, name)
        if current is None:
            raise status.not_found(rtype, name)
        requested_rv = meta.get("resourceVersion")
        if requested_rv and requested_rv != current["metadata"]["resourceVersion"]:
            raise status.stale(rtype, name)
        validation.check_fields(self.cluster, rtype, obj, options.field_validation, warnings)
        obj = conversions.to_storage(self.cluster, rtype, obj)
        return self._commit_update(rtype, current, obj, options, subresource, operation)

    def _commit_update(self, rtype: ResourceType, current: Obj, obj: Obj, options: WriteOptions,
                       subresource: str | None, operation: str) -> Obj:
        """Merge `obj` over `current` following the apiserver's strategy and store the result."""
        name = current["metadata"]["name"]
        if subresource == "status":
            new = deep_copy(current)
            new["status"] = obj.get("status", {})
        else:
            new = obj
            _check_no_new_finalizers(rtype, current["metadata"], obj.get("metadata", {}))
            new["metadata"] = self._merged_metadata(current["metadata"], obj.get("metadata", {}))
            if rtype.subresource("status") is not None:
                if "status" in current:
                    new["status"] = deep_copy(current["status"])
                else:
                    new.pop("status", None)
        defaults.apply(self.cluster, rtype, new, creating=False)
        validation.validate(self.cluster, rtype, new, current)
        if subresource != "status" and (rtype.storage_key in GENERATION_KEYS or rtype.custom) \
                and _spec_changed(current, new):
            new["metadata"]["generation"] = int(current["metadata"].get("generation", 1)) + 1
        self.cluster.field_managers.on_update(rtype, current, new, options.field_manager, operation,
                                              subresource)
        if _same_object(current, new):
            return conversions.from_storage(self.cluster, rtype, current)
        if subresource is None:
            admission.validate(self.cluster, rtype, new, current, options.dry_run)
        if options.dry_run:
            return conversions.from_storage(self.cluster, rtype, new)
        if _deletion_complete(current, new):
            # Removing the last finalizer of an object that is being deleted finishes the deletion.
            removed = self.store.remove(rtype.storage_key, new["metadata"].get("namespace", ""), name)
            self.cluster.gc.on_deleted(rtype, removed)
            return conversions.from_storage(self.cluster, rtype, removed)
        stored = self.store.replace(rtype.storage_key, new)
        return conversions.from_storage(self.cluster, rtype, stored)

    def _merged_metadata(self, current: Obj, requested: Obj) -> Obj:
        """User-settable metadata from the request, system fields from the stored object."""
        merged = {key: value for key, value in requested.items()
                  if key in ("labels", "annotations", "finalizers", "ownerReferences", "managedFields")}
        for key in ("name", "generateName", "namespace", "uid", "resourceVersion", "generation",
                    "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds"):
            if key in current:
                merged[key] = current[key]
        if "managedFields" not in requested and "managedFields" in current:
            merged["managedFields"] = current["managedFields"]
        if current.get("deletionTimestamp") is not None and "finalizers" in requested:
            # Finalizers may only be removed, never added, while deleting.
            merged["finalizers"] = [f for f in requested.get("finalizers") or []
                                    if f in (current.get("finalizers") or [])]
        return _ordered_metadata(merged)

    def update_status(self, rtype: ResourceType, obj: Obj) -> Obj:
        """Controller helper: replace the status of a stored object (no RV check)."""
        meta = obj["metadata"]
        return self.update(rtype, meta.get("namespace", ""), meta["name"],
                           {**obj, "metadata": {**meta, "resourceVersion": None}},
                           WriteOptions(field_manager=None, field_validation="Ignore"), subresource="status")

    # --- patch ---------------------------------------------------------------------------------------

    def patch(self, rtype: ResourceType, namespace: str, name: str, body: bytes, content_type: str,
              options: WriteOptions, subresource: str | None = None,
              warnings: list[str] | None = None) -> tuple[Obj, bool]:
        """Apply a patch; returns (object, created). Server-side apply creates absent objects."""
        from kubegenie.sandbox import patch as patching

        storage_ns = namespace if rtype.namespaced else ""
        current = self.store.get(rtype.storage_key, storage_ns, name)
        kind = patching.patch_kind(rtype, content_type)
        if current is None:
            if kind == "apply" and subresource is None:
                # The applied object carries its Apply entry already; create must not add an Update one.
                obj = patching.apply_to_new(self.cluster, rtype, namespace, name, body, options)
                created = self.create(rtype, namespace, obj, WriteOptions(
                    dry_run=options.dry_run, field_manager=None, field_validation=options.field_validation),
                    warnings)
                return created, True
            raise status.not_found(rtype, name)
        view = conversions.from_storage(self.cluster, rtype, current)
        patched = patching.apply_patch(self.cluster, rtype, view, body, kind, options, subresource)
        bodies.check_nesting(patched)
        meta = patched.get("metadata") or {}
        if meta.get("name") not in (None, name):
            raise status.bad_request(f"the name of the object ({meta.get('name')}) does not match the name on "
                                     f"the URL ({name})")
        requested_rv = meta.get("resourceVersion")
        if requested_rv and requested_rv != current["metadata"]["resourceVersion"]:
            raise status.stale(rtype, name)
        validation.check_fields(self.cluster, rtype, patched, options.field_validation, warnings)
        patched = conversions.to_storage(self.cluster, rtype, patched)
        operation = "Apply" if kind == "apply" else "Update"
        return self._commit_update(rtype, current, patched, options, subresource, operation), False

    # --- delete --------------------------------------------------------------------------------------

    def delete(self, rtype: ResourceType, namespace: str, name: str, options: DeleteOptions) -> tuple[Obj, bool]:
        """Delete an object. Returns (object, gone): gone is False while finalizers hold it."""
        storage_ns = namespace if rtype.namespaced else ""
        current = self.store.get(rtype.storage_key, storage_ns, name)
        if current is None:
            raise status.not_found(rtype, name)
        meta = current["metadata"]
        if options.precondition_uid and options.precondition_uid != meta.get("uid"):
            raise status.conflict(rtype, name, f"Precondition failed: UID in precondition: "
                                               f"{options.precondition_uid}, UID in object meta: {meta.get('uid')}")
        if options.precondition_rv and options.precondition_rv != meta.get("resourceVersion"):
            raise status.conflict(rtype, name, f"Precondition failed: ResourceVersion in precondition: "
                                               f"{options.precondition_rv}, ResourceVersion in object meta: "
                                               f"{meta.get('resourceVersion')}")
        if rtype.storage_key == "namespaces":
            if options.dry_run:
                return conversions.from_storage(self.cluster, rtype, current), False
            return self.cluster.namespaces.start_deletion(current), False
        propagation = options.propagation or self.cluster.gc.default_propagation(rtype, current)
        finalizers = list(meta.get("finalizers") or [])
        if propagation == "Orphan" and "orphan" not in finalizers and self.cluster.gc.has_dependents(current):
            finalizers.append("orphan")
        if propagation == "Foreground" and "foregroundDeletion" not in finalizers \
                and self.cluster.gc.has_dependents(current):
            finalizers.append("foregroundDeletion")
        if options.dry_run:
            return conversions.from_storage(self.cluster, rtype, current), not finalizers
        graceful = self.cluster.graceful_deletion.get(rtype.storage_key)
        period = graceful(current, options.grace_period) if graceful is not None else 0
        if period > 0:
            return self._delete_gracefully(rtype, current, period, finalizers, propagation), False
        if finalizers:
            if meta.get("deletionTimestamp"):
                return conversions.from_storage(self.cluster, rtype, current), False
            new = deep_copy(current)
            new_meta = new["metadata"]
            new_meta["deletionTimestamp"] = rfc3339(self.cluster.clock.now())
            new_meta["deletionGracePeriodSeconds"] = options.grace_period or 0
            new_meta["finalizers"] = finalizers
            new["metadata"] = _ordered_metadata(new_meta)
            stored = self.store.replace(rtype.storage_key, new)
            self.cluster.gc.on_deletion_started(rtype, stored, propagation)
            return conversions.from_storage(self.cluster, rtype, stored), False
        removed = self.store.remove(rtype.storage_key, storage_ns, name)
        self.cluster.gc.on_deleted(rtype, removed, propagation)
        return conversions.from_storage(self.cluster, rtype, removed), True

    def _delete_gracefully(self, rtype: ResourceType, current: Obj, period: int, finalizers: list[str],
                           propagation: str) -> Obj:
        """Mark the object deleted `period` seconds from now; whoever runs it (a kubelet) finishes the deletion.
        A second request may only shorten the grace period."""
        now = self.cluster.clock.time()
        deadline = rfc3339(datetime.fromtimestamp(now + period, UTC))
        meta = current["metadata"]
        if meta.get("deletionTimestamp") and meta["deletionTimestamp"] <= deadline:
            return conversions.from_storage(self.cluster, rtype, current)
        new = deep_copy(current)
        new_meta = new["metadata"]
        new_meta["deletionTimestamp"] = deadline
        new_meta["deletionGracePeriodSeconds"] = period
        if finalizers:
            new_meta["finalizers"] = finalizers
        new["metadata"] = _ordered_metadata(new_meta)
        stored = self.store.replace(rtype.storage_key, new)
        self.cluster.gc.on_deletion_started(rtype, stored, propagation)
        return conversions.from_storage(self.cluster, rtype, stored)

    # --- helpers -------------------------------------------------------------------------------------

    def _check_type_meta(self, rtype: ResourceType, obj: Obj) -> None:
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if kind is not None and kind != rtype.kind:
            raise status.bad_request(f"the kind in the data ({kind}) does not match the expected kind "
                                     f"({rtype.kind})") if api_version == rtype.api_version else \
                status.bad_request(f"the API version in the data ({api_version}) does not match the expected "
                                   f"API version ({rtype.api_version})")
        if api_version is not None and api_version != rtype.api_version:
            raise status.bad_request(f"the API version in the data ({api_version}) does not match the "
                                     f"expected API version ({rtype.api_version})")
        obj["apiVersion"] = rtype.api_version
        obj["kind"] = rtype.kind

    def _check_name(self, rtype: ResourceType, name: str) -> None:
        problems = name_errors(rtype.plural, name)
        if problems:
            raise status.invalid(rtype, name, [("FieldValueInvalid", "metadata.name",
                                               f'Invalid value: "{name}": {"; ".join(problems)}')])

    def _generate_name(self, rtype: ResourceType, namespace: str, prefix: str) -> str:
        storage_ns = namespace if rtype.namespaced else ""
        for _ in range(8):
            candidate = prefix[:58] + "".join(secrets.choice(_GENERATE_ALPHABET) for _ in range(5))
            if self.store.get(rtype.storage_key, storage_ns, candidate) is None:
                return candidate
        raise status.ApiError(500, "ServerTimeout", "could not generate a unique name")


_METADATA_ORDER = ("name", "generateName", "namespace", "uid", "resourceVersion", "generation",
                   "creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
                   "annotations", "ownerReferences", "finalizers", "managedFields")


def _ordered_metadata(meta: Obj) -> Obj:
    """Metadata keys in the order the apiserver writes them, so YAML output reads as on a real cluster."""
    ordered = {key: meta[key] for key in _METADATA_ORDER if key in meta and meta[key] is not None}
    ordered.update({key: value for key, value in meta.items() if key not in ordered and value is not None})
    for key in ("labels", "annotations", "finalizers", "ownerReferences"):
        if key in ordered and not ordered[key]:
            del ordered[key]
    return ordered


def _spec_changed(old: Obj, new: Obj) -> bool:
    keys = (set(old) | set(new)) - _NOT_SPEC
    return any(old.get(key) != new.get(key) for key in keys)


def _same_object(old: Obj, new: Obj) -> bool:
    """No-op writes keep the resourceVersion, as the apiserver does."""
    return {k: v for k, v in old.items() if k != "metadata"} == {k: v for k, v in new.items() if k != "metadata"} \
        and _comparable_meta(old["metadata"]) == _comparable_meta(new["metadata"])


def _comparable_meta(meta: Obj) -> Obj:
    # managedFields count: a write that only moves field ownership is stored, as on the apiserver.
    return {key: value for key, value in meta.items() if key != "resourceVersion" and value not in (None, [], {})}


def _check_no_new_finalizers(rtype: ResourceType, current: Obj, requested: Obj) -> None:
    """ValidateNoNewFinalizers: an object being deleted may lose finalizers, never gain them."""
    if not current.get("deletionTimestamp") or not isinstance(requested.get("finalizers"), list):
        return
    extra = sorted(set(map(str, requested["finalizers"])) - set(current.get("finalizers") or []))
    if extra:
        found = "[]string{" + ", ".join(f'"{item}"' for item in extra) + "}"
        raise status.invalid(rtype, current["name"], [
            ("FieldValueForbidden", "metadata.finalizers", f"Forbidden: no new finalizers can be added if the "
                                                           f"object is being deleted, found new finalizers {found}")])


def _deletion_complete(old: Obj, new: Obj) -> bool:
    # A gracefully terminating object (no finalizers, waiting for its grace period) is not complete yet.
    meta = new["metadata"]
    return bool(meta.get("deletionTimestamp")) and not meta.get("finalizers") \
        and bool(old["metadata"].get("finalizers"))


def _encode_continue(rv: str, namespace: str, name: str) -> str:
    raw = orjson.dumps({"v": "meta.k8s.io/v1", "rv": rv, "start": f"{namespace}/{name}"})
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_continue(token: str) -> tuple[tuple[str, str], str]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = orjson.loads(raw)
        namespace, _, name = str(data["start"]).partition("/")
        return (namespace, name), str(data["rv"])
    except (ValueError, KeyError, TypeError) as exc:
        raise status.bad_request(f"continue key is not valid: {exc}") from exc

