"""CustomResourceDefinitions: what apiextensions-apiserver and its controllers do when a CRD is written.

A CRD's served versions become resource types (names, scope, short names, categories, status and scale
subresources), its schemas drive pruning, defaulting and validation, its printer columns become Table
printers, and its storage version decides how objects are stored. The naming and establishing controllers'
status (acceptedNames, NamesAccepted, Established, storedVersions) is written right after each change;
deleting a CRD deletes its objects first (the customresourcecleanup finalizer), then withdraws its types.
"""

from __future__ import annotations

import asyncio
import copy
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from kubegenie.domain.durations import rfc3339
from kubegenie.sandbox import crdvalidation, defaults, handlers  # noqa: F401  (crdvalidation registers rules)
from kubegenie.sandbox.objects import DeleteOptions, WriteOptions
from kubegenie.sandbox.printers import custom
from kubegenie.sandbox.resources import GET_UPDATE_PATCH, ResourceType, Subresource
from kubegenie.sandbox.store import Change, Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

GROUP = "apiextensions.k8s.io"
KEY = f"{GROUP}/customresourcedefinitions"
CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io"
# Custom resources advertise their verbs in this order (apiextensions' discovery), unlike built-ins.
CUSTOM_VERBS = ("delete", "deletecollection", "get", "list", "patch", "create", "update", "watch")
_CONTROLLER = WriteOptions(field_manager="kube-apiserver", field_validation="Ignore")


@dataclass(frozen=True)
class ScaleSpec:
    spec_replicas_path: str
    status_replicas_path: str
    label_selector_path: str = ""


@dataclass(frozen=True)
class Served:
    """What one CRD serves now, so a change can be withdrawn exactly."""

    group: str
    plural: str
    kind: str
    versions: tuple[str, ...]
    fingerprint: bytes
    scale: dict[str, ScaleSpec] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)

    @property
    def storage_key(self) -> str:
        return f"{self.group}/{self.plural}"


def accepted_names(spec: Obj) -> Obj:
    """spec.names with the defaults the apiserver fills (singular, listKind), in its field order."""
    names = dict(spec.get("names") or {})
    kind = str(names.get("kind", ""))
    result: Obj = {}
    if names.get("categories"):
        result["categories"] = list(names["categories"])
    result["kind"] = kind
    result["listKind"] = names.get("listKind") or f"{kind}List"
    result["plural"] = names.get("plural", "")
    if names.get("shortNames"):
        result["shortNames"] = list(names["shortNames"])
    result["singular"] = names.get("singular") or kind.lower()
    return result


def storage_version(spec: Obj) -> str | None:
    return next((str(v.get("name")) for v in spec.get("versions") or [] if v.get("storage")), None)


def deprecation_warning(spec: Obj, version: Obj) -> str:
    """The Warning a deprecated version answers with: its own text, or the apiserver's default."""
    text = version.get("deprecationWarning")
    if text:
        return str(text)
    group, kind = spec.get("group", ""), (spec.get("names") or {}).get("kind", "")
    name = str(version.get("name", ""))
    message = f"{group}/{name} {kind} is deprecated"
    newer = [str(v.get("name")) for v in spec.get("versions") or []
             if v.get("served") and not v.get("deprecated") and version_order(str(v.get("name"))) < version_order(name)]
    if newer:
        newer.sort(key=version_order)
        message += f"; use {group}/{newer[0]} {kind}"
    return message


def version_order(version: str) -> tuple[int, int, int, str]:
    """Kube-aware version ordering key, newest first: GA before beta before alpha, then by number."""
    match = re.fullmatch(r"v(\d+)(?:(alpha|beta)(\d+))?", version)
    if match is None:
        return (3, 0, 0, version)
    stage = {"beta": 1, "alpha": 2}.get(match.group(2) or "", 0)
    return (stage, -int(match.group(1)), -int(match.group(3) or 0), "")


class CustomResourceDefinitions:
    """Serves the types of every established CRD of one cluster and keeps CRD status current."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._served: dict[str, Served] = {}
        self._conflicts: dict[str, tuple[str, str]] = {}
        """CRD name -> (reason, message) of names another CRD of its group already uses."""
        self._pending: set[str] = set()
        self._orphaned: set[str] = set()
        """Storage keys whose CRD went away (without its finalizer) while objects were left."""
        self._scheduled = False
        cluster.store.add_listener(self._on_change)

    # --- queries -----------------------------------------------------------------------------------------

    @property
    def idle(self) -> bool:
        return not self._scheduled

    def scale_spec(self, rtype: ResourceType) -> ScaleSpec | None:
        served = self._by_storage_key(rtype.storage_key)
        return served.scale.get(rtype.version) if served is not None else None

    def warnings(self, rtype: ResourceType) -> list[str]:
        """Warnings every request to this type carries (deprecated CRD versions)."""
        if not rtype.custom:
            return []
        served = self._by_storage_key(rtype.storage_key)
        text = served.warnings.get(rtype.version) if served is not None else None
        return [text] if text else []

    def terminating(self, rtype: ResourceType) -> bool:
        served = self._by_storage_key(rtype.storage_key)
        if served is None:
            return False
        crd = self.cluster.store.get(KEY, "", f"{served.plural}.{served.group}")
        return crd is not None and bool(crd["metadata"].get("deletionTimestamp"))

    def _by_storage_key(self, storage_key: str) -> Served | None:
        return next((s for s in self._served.values() if s.storage_key == storage_key), None)

    # --- reacting to writes ------------------------------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        if change.key == KEY:
            name = change.obj["metadata"]["name"]
            if change.type == "DELETED":
                served = self._served.get(name)
                self._withdraw(name)
                if served is not None and self.cluster.store.count(served.storage_key):
                    self._orphaned.add(served.storage_key)
                    self._later()
                return
            self._serve(change.obj)
            self._pending.add(name)
            self._later()
        elif change.type == "DELETED" and self._pending and self._by_storage_key(change.key) is not None:
            self._later()

    def _later(self) -> None:
        if self._scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # written outside the server (scenario loading): finish now
            self._reconcile()
            return
        self._scheduled = True
        loop.call_soon(self._reconcile)

    def _reconcile(self) -> None:
        self._scheduled = False
        while self._orphaned:
            self._purge(self._orphaned.pop())
        for name in sorted(self._pending):
            crd = self.cluster.store.get(KEY, "", name)
            if crd is None:
                self._pending.discard(name)
                continue
            if crd["metadata"].get("deletionTimestamp"):
                if self._clean_up(crd):
                    self._pending.discard(name)
                continue
            self._write_status(crd)
            self._pending.discard(name)

    # --- serving -----------------------------------------------------------------------------------------

    def _serve(self, crd: Obj) -> None:
        name = crd["metadata"]["name"]
        spec = crd.get("spec") or {}
        fingerprint = orjson.dumps(spec, option=orjson.OPT_SORT_KEYS)
        previous = self._served.get(name)
        if previous is not None and previous.fingerprint == fingerprint:
            return
        if previous is not None:
            self._withdraw(name)
        group, names = str(spec.get("group", "")), accepted_names(spec)
        conflict = self._conflict(name, group, names)
        if conflict is not None:
            self._conflicts[name] = conflict
            return
        self._conflicts.pop(name, None)
        registry, schemas = self.cluster.registry, self.cluster.schemas
        served_versions: list[str] = []
        scales: dict[str, ScaleSpec] = {}
        warnings: dict[str, str] = {}
        for version in spec.get("versions") or []:
            if not version.get("served"):
                continue
            version_name = str(version["name"])
            subresources = version.get("subresources") or {}
            scale = subresources.get("scale")
            registry.add(_resource_type(spec, names, version_name, subresources))
            schema = (version.get("schema") or {}).get("openAPIV3Schema")
            if isinstance(schema, dict):
                schemas.custom[(group, version_name, names["kind"])] = schema
            self.cluster.custom_printers[(group, version_name, names["plural"])] = \
                custom.printer(version.get("additionalPrinterColumns"))
            if isinstance(scale, dict):
                scales[version_name] = ScaleSpec(str(scale.get("specReplicasPath", "")),
                                                 str(scale.get("statusReplicasPath", "")),
                                                 str(scale.get("labelSelectorPath") or ""))
                _register_scale_handler(f"{group}/{names['plural']}")
            if version.get("deprecated"):
                warnings[version_name] = deprecation_warning(spec, version)
            served_versions.append(version_name)
        stored = storage_version(spec)
        if stored:
            self.cluster.storage_versions[f"{group}/{names['plural']}"] = f"{group}/{stored}"
        self._served[name] = Served(group, names["plural"], names["kind"], tuple(served_versions), fingerprint,
                                    scales, warnings)

    def _conflict(self, name: str, group: str, names: Obj) -> tuple[str, str] | None:
        """Names of this CRD another type of its group already uses (the naming controller's check)."""
        plural, kind = names["plural"], names["kind"]
        for rtype in self.cluster.registry:
            if rtype.group != group or (rtype.custom and f"{rtype.plural}.{rtype.group}" == name):
                continue
            if rtype.plural == plural:
                return "PluralConflict", f'"{plural}" is already in use'
            if rtype.kind == kind:
                return "KindConflict", f'"{kind}" is already in use'
            if rtype.list_kind == names["listKind"]:
                return "ListKindConflict", f'"{names["listKind"]}" is already in use'
            taken = set(names.get("shortNames") or []) & set(rtype.short_names)
            if taken:
                return "ShortNamesConflict", f'"{sorted(taken)[0]}" is already in use'
        return None

    def _withdraw(self, name: str) -> None:
        self._conflicts.pop(name, None)
        served = self._served.pop(name, None)
        if served is None:
            return
        self.cluster.registry.remove_group_resource(served.group, served.plural)
        for version in served.versions:
            self.cluster.schemas.custom.pop((served.group, version, served.kind), None)
            self.cluster.custom_printers.pop((served.group, version, served.plural), None)
        self.cluster.storage_versions.pop(served.storage_key, None)

    def _purge(self, key: str) -> None:
        """Objects left behind by a CRD removed without its finalizer go with it."""
        store = self.cluster.store
        for obj in list(store.iter(key)):
            meta = obj["metadata"]
            store.remove(key, meta.get("namespace", ""), meta["name"])
        self.cluster.store.close_watchers(key)

    # --- status ------------------------------------------------------------------------------------------

    def _write_status(self, crd: Obj) -> None:
        wanted = self.desired_status(crd)
        if wanted == crd.get("status"):
            return
        rtype = self.cluster.registry.lookup(GROUP, "v1", "customresourcedefinitions")
        assert rtype is not None
        body = {**crd, "metadata": {**crd["metadata"], "resourceVersion": None}, "status": wanted}
        self.cluster.objects.update(rtype, "", crd["metadata"]["name"], body, _CONTROLLER, subresource="status")

    def desired_status(self, crd: Obj) -> Obj:
        name = crd["metadata"]["name"]
        spec = crd.get("spec") or {}
        current = crd.get("status") or {}
        now = rfc3339(self.cluster.clock.now())
        conflict = self._conflicts.get(name)
        if conflict is None:
            conditions = [
                _condition(current, "NamesAccepted", "True", "NoConflicts", "no conflicts found", now),
                _condition(current, "Established", "True", "InitialNamesAccepted",
                           "the initial names have been accepted", now),
            ]
            names = accepted_names(spec)
        else:
            conditions = [
                _condition(current, "NamesAccepted", "False", conflict[0], conflict[1], now),
                _condition(current, "Established", "False", "NotAccepted", "not all names are accepted", now),
            ]
            names = current.get("acceptedNames") or {"kind": "", "plural": ""}
        if crd["metadata"].get("deletionTimestamp"):
            conditions.append(_condition(current, "Terminating", "True", "InstanceDeletionInProgress",
                                         "CustomResource deletion is in progress", now))
        stored = list(current.get("storedVersions") or [])
        version = storage_version(spec)
        if version and version not in stored:
            stored.append(version)
        return {"acceptedNames": names, "conditions": conditions, "storedVersions": stored}

    # --- deletion ----------------------------------------------------------------------------------------

    def _clean_up(self, crd: Obj) -> bool:
        """Delete the CRD's objects; once none is left, release the finalizer. True when done."""
        served = self._served.get(crd["metadata"]["name"])
        self._write_status(crd)
        if served is not None and served.versions:
            rtype = self.cluster.registry.lookup(served.group, served.versions[0], served.plural)
            if rtype is not None:
                for obj in list(self.cluster.store.iter(served.storage_key)):
                    meta = obj["metadata"]
                    if meta.get("deletionTimestamp"):
                        continue
                    self.cluster.objects.delete(rtype, meta.get("namespace", ""), meta["name"], DeleteOptions())
                if self.cluster.store.count(served.storage_key):
                    return False
        current = self.cluster.store.get(KEY, "", crd["metadata"]["name"])
        if current is None:
            return True
        finalizers = [f for f in current["metadata"].get("finalizers") or [] if f != CLEANUP_FINALIZER]
        if finalizers == list(current["metadata"].get("finalizers") or []):
            return True
        crd_type = self.cluster.registry.lookup(GROUP, "v1", "customresourcedefinitions")
        assert crd_type is not None
        body = copy.deepcopy(current)
        body["metadata"]["finalizers"] = finalizers
        self.cluster.objects.update(crd_type, "", current["metadata"]["name"], body, _CONTROLLER)
        return True


def _condition(status_obj: Obj, kind: str, value: str, reason: str, message: str, now: str) -> Obj:
    """A condition that keeps its lastTransitionTime while its status stays the same."""
    previous = next((c for c in status_obj.get("conditions") or [] if c.get("type") == kind), None)
    since = previous.get("lastTransitionTime", now) if previous and previous.get("status") == value else now
    return {"lastTransitionTime": since, "message": message, "reason": reason, "status": value, "type": kind}


def _resource_type(spec: Obj, names: Obj, version: str, subresources: Obj) -> ResourceType:
    group, kind = str(spec.get("group", "")), str(names["kind"])
    subs: list[Subresource] = []
    if isinstance(subresources.get("scale"), dict):
        subs.append(Subresource("scale", "Scale", GET_UPDATE_PATCH, group="autoscaling", version="v1"))
    if isinstance(subresources.get("status"), dict):
        subs.append(Subresource("status", kind, GET_UPDATE_PATCH))
    return ResourceType(group, version, kind, str(names["plural"]), str(names["singular"]),
                        spec.get("scope") == "Namespaced", tuple(names.get("shortNames") or ()),
                        tuple(names.get("categories") or ()), CUSTOM_VERBS, tuple(subs), custom=True)


def _register_scale_handler(storage_key: str) -> None:
    from kubegenie.sandbox import crdscale

    handlers.SUBRESOURCES.setdefault((storage_key, "scale"), crdscale.serve)


# --- the CustomResourceDefinition strategy: defaults filled on every write ---------------------------------

@defaults.defaulter(KEY)
def _crd_defaults(cluster: Cluster, crd: Obj, creating: bool) -> None:
    spec = crd.get("spec")
    if not isinstance(spec, dict):
        return
    names = spec.get("names")
    if isinstance(names, dict) and names.get("kind"):
        names.setdefault("singular", str(names["kind"]).lower())
        names.setdefault("listKind", f"{names['kind']}List")
    conversion = spec.setdefault("conversion", {"strategy": "None"})
    if isinstance(conversion, dict):
        conversion.setdefault("strategy", "None")
    for version in spec.get("versions") or []:
        if isinstance(version, dict):
            version.setdefault("served", False)
            version.setdefault("storage", False)
    stored = storage_version(spec)
    if creating:
        meta = crd.setdefault("metadata", {})
        finalizers = meta.setdefault("finalizers", [])
        if CLEANUP_FINALIZER not in finalizers:
            finalizers.append(CLEANUP_FINALIZER)
        crd["status"] = {"acceptedNames": {"kind": "", "plural": ""}, "conditions": None,
                         "storedVersions": [stored] if stored else []}
        return
    current: Any = crd.get("status")
    if isinstance(current, dict) and stored:
        versions = current.setdefault("storedVersions", [])
        if isinstance(versions, list) and stored not in versions:
            versions.append(stored)
    del cluster

