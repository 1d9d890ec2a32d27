"""`kubectl get events`: Last Seen, Type, Reason, Object, Message (and the wide Subobject, Source, First Seen,
Count, Name). events.k8s.io/v1 objects are printed through their core/v1 form, as the apiserver prints both
versions from one internal type."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kubegenie.sandbox import conversions
from kubegenie.sandbox.printers.table import NAME, Column, Printer, register, since
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster


def _source(event: Obj) -> str:
    source = event.get("source") or {}
    component = source.get("component") or event.get("reportingComponent") or ""
    instance = source.get("host") or event.get("reportingInstance") or ""
    return f"{component}, {instance}" if instance else str(component)


def _row(cluster: Cluster, obj: Obj) -> list[Any]:
    event = conversions.convert(obj, "v1")
    first_seen = since(cluster, event.get("firstTimestamp") or event.get("eventTime"))
    last_seen = since(cluster, event["lastTimestamp"]) if event.get("lastTimestamp") else first_seen
    count = int(event.get("count") or 0)
    series = event.get("series")
    if series:
        last_seen = since(cluster, series.get("lastObservedTime"))
        count = int(series.get("count") or 0)
    elif count == 0:
        count = 1  # events.k8s.io singletons carry no count
    involved = event.get("involvedObject") or {}
    kind = str(involved.get("kind", "")).lower()
    target = f"{kind}/{involved['name']}" if involved.get("name") else kind
    return [last_seen, event.get("type", ""), event.get("reason", ""), target, involved.get("fieldPath", ""),
            _source(event), str(event.get("message", "")).strip(), first_seen, count, event["metadata"]["name"]]


register("events")(Printer([
    Column("Last Seen", description="The time at which the most recent occurrence of this event was recorded."),
    Column("Type", description="Type of this event (Normal, Warning), new types could be added in the future"),
    Column("Reason", description="This should be a short, machine understandable string that gives the reason "
                                 "for the transition into the object's current status."),
    Column("Object", description="The object that this event is about."),
    Column("Subobject", priority=1, description="If referring to a piece of an object instead of an entire "
                                                "object, this string should contain a valid JSON/Go field access "
                                                "statement, such as desiredState.manifest.containers[2]."),
    Column("Source", priority=1, description="The component reporting this event. Should be a short machine "
                                             "understandable string."),
    Column("Message", description="A human-readable description of the status of this operation."),
    Column("First Seen", priority=1, description="The time at which the event was first recorded. (Time of "
                                                 "server receipt is in TypeMeta.)"),
    Column("Count", priority=1, description="The number of times this event has occurred."),
    Column("Name", priority=1, format="name", description=NAME.description),
], _row))
