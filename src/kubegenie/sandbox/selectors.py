"""Label and field selectors with the apiserver's grammar, and the fields each kind lets you select on.

Label: `k`, `!k`, `k=v`, `k==v`, `k!=v`, `k in (a,b)`, `k notin (a,b)`, joined by commas (AND).
Field: `f=v`, `f==v`, `f!=v`, joined by commas; only fields the kind supports, else 400.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from kubegenie.domain import labels
from kubegenie.domain.labels import LabelSelector, format_selector, selector_from_match
from kubegenie.sandbox import status

__all__ = ["FieldSelector", "LabelSelector", "format_selector", "parse_field_selector", "parse_label_selector",
           "selector_from_match"]

# --- field selectors -------------------------------------------------------------------------------

FieldGetter = Callable[[dict[str, Any]], str]


def _path(*keys: str) -> FieldGetter:
    def get(obj: dict[str, Any]) -> str:
        node: Any = obj
        for key in keys:
            if not isinstance(node, dict):
                return ""
            node = node.get(key)
        if node is None:
            return ""
        if isinstance(node, bool):
            return "true" if node else "false"
        return str(node)

    return get


_COMMON: dict[str, FieldGetter] = {"metadata.name": _path("metadata", "name"),
                                   "metadata.namespace": _path("metadata", "namespace")}

FIELDS: dict[str, dict[str, FieldGetter]] = {
    "pods": {
        "spec.nodeName": _path("spec", "nodeName"),
        "spec.restartPolicy": _path("spec", "restartPolicy"),
        "spec.schedulerName": _path("spec", "schedulerName"),
        "spec.serviceAccountName": _path("spec", "serviceAccountName"),
        "spec.hostNetwork": lambda obj: "true" if (obj.get("spec") or {}).get("hostNetwork") else "false",
        "status.phase": _path("status", "phase"),
        "status.podIP": _path("status", "podIP"),
        "status.nominatedNodeName": _path("status", "nominatedNodeName"),
    },
    "nodes": {"spec.unschedulable": lambda obj: "true" if (obj.get("spec") or {}).get("unschedulable")
              else "false"},
    "events": {
        "involvedObject.kind": _path("involvedObject", "kind"),
        "involvedObject.namespace": _path("involvedObject", "namespace"),
        "involvedObject.name": _path("involvedObject", "name"),
        "involvedObject.uid": _path("involvedObject", "uid"),
        "involvedObject.apiVersion": _path("involvedObject", "apiVersion"),
        "involvedObject.resourceVersion": _path("involvedObject", "resourceVersion"),
        "involvedObject.fieldPath": _path("involvedObject", "fieldPath"),
        "reason": _path("reason"),
        "reportingComponent": _path("reportingComponent"),
        "source": lambda obj: (obj.get("source") or {}).get("component") or obj.get("reportingComponent") or "",
        "type": _path("type"),
    },
    "secrets": {"type": _path("type")},
    "namespaces": {"status.phase": _path("status", "phase")},
    "replicasets": {"status.replicas": _path("status", "replicas")},
    "replicationcontrollers": {"status.replicas": _path("status", "replicas")},
    "jobs": {"status.successful": _path("status", "successful")},
    "services": {"spec.clusterIP": _path("spec", "clusterIP"), "spec.type": _path("spec", "type")},
    "persistentvolumeclaims": {"status.phase": _path("status", "phase")},
    "certificatesigningrequests": {"spec.signerName": _path("spec", "signerName")},
}


@dataclass(frozen=True)
class FieldRequirement:
    field: str
    equal: bool
    value: str
    getter: FieldGetter

    def matches(self, obj: dict[str, Any]) -> bool:
        return (self.getter(obj) == self.value) == self.equal


@dataclass(frozen=True)
class FieldSelector:
    requirements: tuple[FieldRequirement, ...]

    def matches(self, obj: dict[str, Any]) -> bool:
        return all(req.matches(obj) for req in self.requirements)

    @property
    def empty(self) -> bool:
        return not self.requirements

    def exact_name(self) -> str | None:
        """The name when the selector pins `metadata.name=X` (lets the store skip a scan)."""
        for req in self.requirements:
            if req.field == "metadata.name" and req.equal:
                return req.value
        return None


def _split_escaped(text: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    escaped = False
    for char in text:
        if escaped:
            current.append(char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == separator:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return parts


def parse_label_selector(text: str | None) -> LabelSelector:
    """Parse `?labelSelector=`; raises a 400 ApiError when malformed."""
    try:
        return labels.parse_label_selector(text)
    except labels.LabelSelectorError as exc:
        raise status.bad_request(str(exc)) from exc


def parse_field_selector(text: str | None, plural: str) -> FieldSelector:
    """Parse `?fieldSelector=` for a resource; unknown fields get the apiserver's 400."""
    if not text or not text.strip():
        return FieldSelector(())
    supported = {**_COMMON, **FIELDS.get(plural, {})}
    requirements = []
    for part in _split_escaped(text, ","):
        part = part.strip()
        if not part:
            continue
        for op in ("!=", "==", "="):
            if op in part:
                field, _, value = part.partition(op)
                field = field.strip()
                getter = supported.get(field)
                if getter is None:
                    raise status.bad_request(f'field label not supported: {field}')
                requirements.append(FieldRequirement(field, op != "!=", value.strip(), getter))
                break
        else:
            raise status.bad_request(f"invalid selector: '{part}'; can't understand '{part}'")
    return FieldSelector(tuple(requirements))
