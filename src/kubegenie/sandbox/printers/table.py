"""The Table object and the registry of per-kind printers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
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

    def definition(self) -> dict[str, Any]:
        return {"name": self.name, "type": self.type, "format": self.format, "description": self.description,
                "priority": self.priority}


@dataclass(frozen=True)
class Printer:
    columns: Sequence[Column]
    row: Callable[[Cluster, Obj], list[Any]]


PRINTERS: dict[str, Printer] = {}
NAME = Column("Name", format="name", description="Name must be unique within a namespace.")
AGE = Column("Age", description="CreationTimestamp is a timestamp representing the server time when this "
                                "object was created.")


def register(*storage_keys: str) -> Callable[[Printer], Printer]:
    def add(printer: Printer) -> Printer:
        for key in storage_keys:
            PRINTERS[key] = printer
        return printer

    return add


def age(cluster: Cluster, obj: Obj) -> str:
    created = (obj.get("metadata") or {}).get("creationTimestamp")
    if not created:
        return "<unknown>"
    return human_duration(cluster.clock.time() - parse_rfc3339(created).timestamp())


def since(cluster: Cluster, timestamp: str | None) -> str:
    if not timestamp:
        return "<unknown>"
    return human_duration(cluster.clock.time() - parse_rfc3339(timestamp).timestamp())


_DEFAULT = Printer([NAME, AGE], lambda cluster, obj: [obj["metadata"]["name"], age(cluster, obj)])


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
    rows = []
    for obj in objects:
        row: Obj = {"cells": printer.row(cluster, obj)}
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
    table["columnDefinitions"] = [column.definition() for column in printer.columns] if headers else None
    table["rows"] = rows
    return table
