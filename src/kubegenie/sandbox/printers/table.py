"""The Table object and the registry of per-kind printers.

A printer lists every column the apiserver's table convertor knows (wide ones with priority 1, since the
apiserver always renders wide and kubectl hides what it does not show) and a row function giving one cell per
column. Columns that exist only in some Kubernetes minor versions carry `since`/`until` bounds; the table
drops them, and their cells, for clusters outside those versions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC
from typing import TYPE_CHECKING, Any

from kubegenie.domain.durations import human_duration, parse_rfc3339
from kubegenie.sandbox.resources import ResourceType
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster


@dataclass(frozen=True)
class Column:
    name: str
    type: str = "string"
    format: str = ""
    description: str = ""
    priority: int = 0
    since: int = 0
    """First Kubernetes minor version whose apiserver prints this column."""
    until: int = 10_000
    """Last Kubernetes minor version whose apiserver prints this column."""

    def definition(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "format": self.format, "description": self.description,
                "priority": self.priority}

    def shown_in(self, minor: int) -> bool:
        return self.since <= minor <= self.until


@dataclass(frozen=True)
class Printer:
    columns: Sequence[Column]
    row: Callable[[Cluster, Obj], list[Any]]


PRINTERS: dict[str, Printer] = {}
NAME = Column("Name", format="name", description="Name must be unique within a namespace. Is required when "
                                                 "creating resources, although some resources may allow a client "
                                                 "to request the generation of an appropriate name automatically. "
                                                 "Name is primarily intended for creation idempotence and "
                                                 "configuration definition. Cannot be updated. More info: "
                                                 "https://kubernetes.io/docs/concepts/overview/working-with-objects"
                                                 "/names#names")
AGE = Column("Age", description="CreationTimestamp is a timestamp representing the server time when this "
                                "object was created. It is not guaranteed to be set in happens-before order across "
                                "separate operations. Clients may not set this value. It is represented in RFC3339 "
                                "form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More "
                                "info: https://git.k8s.io/community/contributors/devel/sig-architecture/"
                                "api-conventions.md#metadata")
CREATED_AT = Column("Created At", type="date", description=AGE.description)


def register(*storage_keys: str) -> Callable[[Printer], Printer]:
    def add(printer: Printer) -> Printer:
        for key in storage_keys:
            PRINTERS[key] = printer
        return printer

    return add


def age(cluster: Cluster, obj: Obj) -> str:
    return since(cluster, (obj.get("metadata") or {}).get("creationTimestamp"))


def since(cluster: Cluster, timestamp: str | None) -> str:
    """Time elapsed since an RFC 3339 timestamp, as the apiserver's translateTimestampSince prints it."""
    if not timestamp:
        return "<unknown>"
    return human_duration(cluster.clock.time() - parse_rfc3339(timestamp).timestamp())


def created_at(obj: Obj) -> str:
    """The creation timestamp in RFC 3339, UTC, as the default table convertor writes it."""
    created = (obj.get("metadata") or {}).get("creationTimestamp")
    if not created:
        return "0001-01-01T00:00:00Z"
    return parse_rfc3339(created).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


_DEFAULT = Printer([NAME, AGE], lambda cluster, obj: [obj["metadata"]["name"], age(cluster, obj)])
METADATA_ONLY = Printer([NAME, CREATED_AT], lambda _cluster, obj: [obj["metadata"]["name"], created_at(obj)])
"""The apiserver's default table convertor, used by built-in types that have no printer of their own."""


def printer_for(cluster: Cluster, rtype: ResourceType) -> Printer:
    custom = cluster.custom_printers.get((rtype.group, rtype.version, rtype.plural))
    if custom is not None:
        return custom
    return PRINTERS.get(rtype.storage_key, _DEFAULT)


def partial_metadata(obj: Obj) -> Obj:
    return {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj.get("metadata", {})}


def build_table(cluster: Cluster, rtype: ResourceType, objects: list[Obj], include_object: str = "Metadata",
                resource_version: str = "", continue_token: str = "", headers: bool = True,
                remaining: int | None = None) -> Obj:
    """A meta.k8s.io/v1 Table; `include_object` is None, Metadata (default) or Object."""
    printer = printer_for(cluster, rtype)
    minor = cluster.version.minor
    shown = [index for index, column in enumerate(printer.columns) if column.shown_in(minor)]
    every_column = len(shown) == len(printer.columns)
    rows = []
    for obj in objects:
        cells = printer.row(cluster, obj)
        row: Obj = {"cells": cells if every_column else [cells[index] for index in shown]}
        if include_object == "Object":
            row["object"] = obj
        elif include_object != "None":
            row["object"] = partial_metadata(obj)
        rows.append(row)
    metadata: Obj = {"resourceVersion": resource_version}
    if continue_token:
        metadata["continue"] = continue_token
    if remaining is not None:
        metadata["remainingItemCount"] = remaining
    table: Obj = {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": metadata}
    table["columnDefinitions"] = [printer.columns[index].definition() for index in shown] if headers else None
    table["rows"] = rows
    return table
