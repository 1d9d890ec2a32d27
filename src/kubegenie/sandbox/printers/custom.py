"""Table printers of custom resources, built from a CRD version's additionalPrinterColumns the way
apiextensions' tableconvertor does: a Name column, then one column per JSONPath (first match only,
`date` columns as human durations, values of the wrong type as empty cells), or Name + Age when the
CRD declares none. CustomResourceDefinitions themselves print as Name + Created At.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from kubegenie.domain.durations import parse_rfc3339
from kubegenie.sandbox.printers import jsonpath
from kubegenie.sandbox.printers.table import AGE, METADATA_ONLY, NAME, Column, Printer, register, since
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

register("apiextensions.k8s.io/customresourcedefinitions")(METADATA_ONLY)

_DEFAULT_COLUMNS: list[Obj] = [{"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp",
                                "description": AGE.description}]


def printer(columns: list[Obj] | None) -> Printer:
    """The printer of one CRD version. Columns whose JSONPath does not parse make the whole version fall back
    to Name + Age, as the apiserver does with an invalid printer specification."""
    definitions = columns or _DEFAULT_COLUMNS
    try:
        paths = [jsonpath.parse(str(column.get("jsonPath", ""))) for column in definitions]
    except jsonpath.JSONPathError:
        definitions = _DEFAULT_COLUMNS
        paths = [jsonpath.parse(".metadata.creationTimestamp")]
    headers = [NAME]
    for column in definitions:
        description = column.get("description") or \
            f"Custom resource definition column (in JSONPath format): {column.get('jsonPath', '')}"
        headers.append(Column(str(column.get("name", "")), type=str(column.get("type", "string")),
                              format=str(column.get("format", "")), description=str(description),
                              priority=int(column.get("priority", 0) or 0)))
    kinds = [column.type for column in headers[1:]]

    def row(cluster: Cluster, obj: Obj) -> list[Any]:
        cells: list[Any] = [obj["metadata"]["name"]]
        for path, kind in zip(paths, kinds, strict=True):
            found = path.find(obj)
            cells.append(cell(cluster, kind, found[0]) if found else None)
        return cells

    return Printer(headers, row)


def cell(cluster: Cluster, kind: str, value: Any) -> Any:
    """One table cell of a column of type `kind` (string, integer, number, boolean or date)."""
    if value is None:
        return None
    if kind == "string":
        return value if isinstance(value, str) else text(value)
    if kind == "integer" and isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    if kind == "boolean" and isinstance(value, bool):
        return value
    if kind == "date" and isinstance(value, str):
        try:
            parse_rfc3339(value)
        except ValueError:
            return "<invalid>"
        return since(cluster, value)
    return None


def text(value: Any) -> str:
    """A non-string value printed through a JSONPath template: JSON for maps and lists, Go's %v otherwise."""
    if isinstance(value, dict | list):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e21:
        return str(int(value))
    return str(value)
