"""How the schemas shape patches and field ownership: the schema of a child field or list item (keeping the
`x-kubernetes-*` markers written beside a `$ref`), struct versus map, atomic maps, list types and their keys,
and the strategic-merge strategy and merge key of a field. Reads schemas only; never touches objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kubegenie.sandbox.schemas import Schema, SchemaSet

_MARKER_PREFIX = "x-kubernetes-"
# structured-merge-diff fills list-map keys a manifest leaves out from the schema defaults; the one that
# matters for built-ins is the port protocol.
KEY_DEFAULTS: dict[str, Any] = {"protocol": "TCP"}


@dataclass(frozen=True)
class ListShape:
    """`atomic` (replaced whole), `set` (items are scalars) or `map` (items keyed by `keys`)."""

    kind: str
    keys: tuple[str, ...] = ()


ATOMIC = ListShape("atomic")


class Shapes:
    """Schema look-ups shared by strategic merge patch and server-side apply."""

    def __init__(self, schemas: SchemaSet) -> None:
        self.schemas = schemas

    def _with_markers(self, raw: Any) -> Schema | None:
        if not isinstance(raw, dict):
            return None
        resolved = self.schemas.resolve(raw)
        markers = {key: value for key, value in raw.items() if key.startswith(_MARKER_PREFIX)}
        return {**resolved, **markers} if markers else resolved

    def child(self, schema: Schema | None, key: str) -> Schema | None:
        if schema is None:
            return None
        resolved = self.schemas.resolve(schema)
        properties = resolved.get("properties") or {}
        if key in properties:
            return self._with_markers(properties[key])
        additional = resolved.get("additionalProperties")
        return self._with_markers(additional) if isinstance(additional, dict) else None

    def items(self, schema: Schema | None) -> Schema | None:
        if schema is None:
            return None
        return self._with_markers(self.schemas.resolve(schema).get("items"))

    def is_struct(self, schema: Schema | None) -> bool:
        """A struct has named fields; a map has arbitrary keys (labels, data)."""
        return schema is not None and bool(self.schemas.resolve(schema).get("properties"))

    def atomic_map(self, schema: Schema | None) -> bool:
        return schema is not None and schema.get("x-kubernetes-map-type") == "atomic"

    def list_shape(self, schema: Schema | None) -> ListShape:
        """The list type as server-side apply sees it; legacy merge strategies count as map or set lists."""
        if schema is None:
            return ATOMIC
        list_type = schema.get("x-kubernetes-list-type")
        if list_type == "map":
            keys = schema.get("x-kubernetes-list-map-keys") or []
            merge_key = schema.get("x-kubernetes-patch-merge-key")
            return ListShape("map", tuple(keys) if keys else ((merge_key,) if merge_key else ()))
        if list_type in ("set", "atomic"):
            return ListShape(str(list_type))
        strategies = self.patch_strategies(schema)
        if "merge" in strategies:
            merge_key = schema.get("x-kubernetes-patch-merge-key")
            return ListShape("map", (merge_key,)) if merge_key else ListShape("set")
        return ATOMIC

    @staticmethod
    def patch_strategies(schema: Schema | None) -> tuple[str, ...]:
        if schema is None:
            return ()
        value = schema.get("x-kubernetes-patch-strategy")
        if not isinstance(value, str) or not value:
            return ()
        return tuple(part.strip() for part in value.split(",") if part.strip())

    @staticmethod
    def merge_key(schema: Schema | None) -> str | None:
        value = schema.get("x-kubernetes-patch-merge-key") if schema is not None else None
        return value if isinstance(value, str) and value else None

    def kind_schema(self, api_version: str, kind: str) -> Schema | None:
        group, _, version = api_version.rpartition("/")
        return self.schemas.for_kind(group, version, kind)
