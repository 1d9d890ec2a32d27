"""Small shared vocabulary of the simulated control plane: writing through the cluster's ObjectAPI as a named
field manager, owner references, selectors, conditions and the pod predicates controllers agree on
(active, ready, available). No controller logic lives here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from kubegenie.domain import quantity
from kubegenie.domain.durations import parse_rfc3339, rfc3339
from kubegenie.sandbox import status
from kubegenie.sandbox.objects import DeleteOptions, WriteOptions, deep_copy
from kubegenie.sandbox.resources import ResourceType
from kubegenie.sandbox.selectors import LabelSelector, selector_from_match
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

Key = tuple[str, str]
"""(namespace, name) of an object; namespace is "" for cluster-scoped objects."""


def key_of(obj: Obj) -> Key:
    meta = obj["metadata"]
    return meta.get("namespace", ""), meta["name"]


def rtype_of(cluster: Cluster, storage_key: str) -> ResourceType:
    """The served type whose version objects are stored in (so writes need no conversion)."""
    stored = cluster.storage_versions.get(storage_key)
    fallback: ResourceType | None = None
    for rtype in cluster.registry.versions_of(storage_key):
        if stored is None or rtype.api_version == stored:
            return rtype
        fallback = fallback or rtype
    if fallback is None:
        raise LookupError(f"no served type stores {storage_key}")
    return fallback


class Writer:
    """Writes of one control-plane component, recorded under its field manager name.

    A component's first write of an object (or of its status) records its managedFields entry; later writes
    leave ownership as it is, which keeps the frequent status updates of a running cluster cheap."""

    def __init__(self, cluster: Cluster, manager: str) -> None:
        self.cluster = cluster
        self.manager = manager
        self._options = WriteOptions(field_manager=manager, field_validation="Ignore")
        self._quiet = WriteOptions(field_manager=None, field_validation="Ignore")

    def _options_for(self, obj: Obj, subresource: str | None) -> WriteOptions:
        for entry in obj["metadata"].get("managedFields") or []:
            if entry.get("manager") == self.manager and entry.get("operation") == "Update" \
                    and entry.get("subresource") == subresource:
                return self._quiet
        return self._options

    def create(self, storage_key: str, namespace: str, body: Obj) -> Obj:
        rtype = rtype_of(self.cluster, storage_key)
        return self.cluster.objects.create(rtype, namespace, body, self._options)

    def update(self, storage_key: str, obj: Obj) -> Obj:
        """Replace an object's metadata and spec (no resourceVersion check: the caller read it this tick)."""
        rtype = rtype_of(self.cluster, storage_key)
        meta = obj["metadata"]
        body = {**obj, "metadata": {**meta, "resourceVersion": None}}
        return self.cluster.objects.update(rtype, meta.get("namespace", ""), meta["name"], body,
                                           self._options_for(obj, None))

    def update_status(self, storage_key: str, obj: Obj) -> Obj:
        rtype = rtype_of(self.cluster, storage_key)
        meta = obj["metadata"]
        body = {**obj, "metadata": {**meta, "resourceVersion": None}}
        return self.cluster.objects.update(rtype, meta.get("namespace", ""), meta["name"], body,
                                           self._options_for(obj, "status"), subresource="status")

    def delete(self, storage_key: str, obj: Obj, grace: int | None = None, propagation: str | None = None) -> bool:
        """Delete `obj` (only that incarnation: the uid is a precondition). False when it was already gone."""
        rtype = rtype_of(self.cluster, storage_key)
        meta = obj["metadata"]
        try:
            self.cluster.objects.delete(rtype, meta.get("namespace", ""), meta["name"],
                                        DeleteOptions(propagation=propagation, grace_period=grace,
                                                      precondition_uid=meta.get("uid")))
        except status.ApiError as exc:
            if exc.code in (404, 409):
                return False
            raise
        return True


# --- time --------------------------------------------------------------------------------------------------

def timestamp(moment: float) -> str:
    return rfc3339(datetime.fromtimestamp(moment, UTC))


def seconds(text: str | None) -> float | None:
    """Seconds since the epoch of an RFC 3339 timestamp (None stays None)."""
    return parse_rfc3339(text).timestamp() if text else None


def go_duration(value: float) -> str:
    """A duration as Go's time.Duration prints it ("10s", "1m20s", "5m0s")."""
    whole = round(value)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes}m{secs}s"
    if minutes:
        return f"{minutes}m{secs}s"
    return f"{secs}s"


# --- ownership and selection -------------------------------------------------------------------------------

def owner_ref(owner: Obj, controller: bool = True) -> Obj:
    meta = owner["metadata"]
    ref: Obj = {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": meta["name"], "uid": meta["uid"]}
    if controller:
        ref["controller"] = True
        ref["blockOwnerDeletion"] = True
    return ref


def controller_ref(obj: Obj) -> Obj | None:
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return dict(ref)
    return None


def controlled_by(obj: Obj, owner: Obj) -> bool:
    ref = controller_ref(obj)
    return ref is not None and ref.get("uid") == owner["metadata"].get("uid")


def spec_selector(spec: Obj) -> LabelSelector | None:
    """The LabelSelector of `spec.selector` in structured form; None when absent (matches nothing)."""
    selector = spec.get("selector")
    if not isinstance(selector, dict):
        return None
    return selector_from_match(selector.get("matchLabels"), selector.get("matchExpressions"))


def object_ref(obj: Obj, field_path: str | None = None) -> Obj:
    """A core/v1 ObjectReference to `obj`, as events and endpoints carry them."""
    meta = obj["metadata"]
    ref: Obj = {"apiVersion": obj.get("apiVersion", "v1"), "kind": obj.get("kind", "")}
    if field_path:
        ref["fieldPath"] = field_path
    ref["name"] = meta["name"]
    if meta.get("namespace"):
        ref["namespace"] = meta["namespace"]
    if meta.get("resourceVersion"):
        ref["resourceVersion"] = meta["resourceVersion"]
    ref["uid"] = meta.get("uid", "")
    return ref


# --- conditions --------------------------------------------------------------------------------------------

def condition(obj: Obj, kind: str) -> Obj | None:
    for cond in (obj.get("status") or {}).get("conditions") or []:
        if cond.get("type") == kind:
            return dict(cond)
    return None


def set_condition(conditions: list[Obj], kind: str, state: str, reason: str | None, message: str | None,
                  now: str, extra: Obj | None = None, update_time_key: str | None = None) -> list[Obj]:
    """Set one condition in a list, keeping lastTransitionTime unless the status changed."""
    result = [dict(c) for c in conditions]
    for cond in result:
        if cond.get("type") == kind:
            if cond.get("status") != state:
                cond["lastTransitionTime"] = now
            if update_time_key and (cond.get("status") != state or cond.get("reason") != reason
                                    or cond.get("message") != message):
                cond[update_time_key] = now
            cond["status"] = state
            _set_text(cond, reason, message)
            cond.update(extra or {})
            return result
    new: Obj = {"type": kind, "status": state}
    if update_time_key:
        new[update_time_key] = now
    new["lastTransitionTime"] = now
    _set_text(new, reason, message)
    new.update(extra or {})
    result.append(new)
    return result


def _set_text(cond: Obj, reason: str | None, message: str | None) -> None:
    for key, value in (("reason", reason), ("message", message)):
        if value:
            cond[key] = value
        else:
            cond.pop(key, None)


# --- pods --------------------------------------------------------------------------------------------------

def pod_terminal(pod: Obj) -> bool:
    return (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed")


def pod_active(pod: Obj) -> bool:
    """Counts toward a controller's replicas: not finished and not being deleted."""
    return not pod_terminal(pod) and not pod["metadata"].get("deletionTimestamp")


def pod_ready(pod: Obj) -> bool:
    cond = condition(pod, "Ready")
    return cond is not None and cond.get("status") == "True"


def pod_available(pod: Obj, min_ready_seconds: int, now: float) -> bool:
    if not pod_ready(pod):
        return False
    if min_ready_seconds <= 0:
        return True
    since = seconds((condition(pod, "Ready") or {}).get("lastTransitionTime"))
    return since is not None and since + min_ready_seconds <= now


def pod_requests(spec: Obj) -> dict[str, Decimal]:
    """Effective requests of a pod spec: max(sum of containers, largest init container) plus overhead."""
    total: dict[str, Decimal] = {}
    for container in spec.get("containers") or []:
        for name, value in ((container.get("resources") or {}).get("requests") or {}).items():
            total[name] = total.get(name, Decimal(0)) + _parse(value)
    for container in spec.get("initContainers") or []:
        for name, value in ((container.get("resources") or {}).get("requests") or {}).items():
            total[name] = max(total.get(name, Decimal(0)), _parse(value))
    for name, value in (spec.get("overhead") or {}).items():
        total[name] = total.get(name, Decimal(0)) + _parse(value)
    return total


def _parse(value: Any) -> Decimal:
    try:
        return quantity.parse(value)
    except quantity.QuantityError:
        return Decimal(0)


def copy(obj: Obj) -> Obj:
    return deep_copy(obj)
