"""Schema-typed walks over objects, as structured-merge-diff does them for server-side apply: the field set a
configuration sets, the comparison of two objects (added, removed, modified fields), the merge of an applied
configuration into a live object, and the removal of a field set. Nothing here knows about managers.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import orjson

from kubegenie.sandbox.patch.fieldset import FieldSet, Path, field_element, key_element, value_element
from kubegenie.sandbox.patch.shapes import KEY_DEFAULTS, ListShape, Shapes
from kubegenie.sandbox.schemas import Schema


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


MISSING: Any = _Marker("MISSING")
"""An absent field."""
NULL: Any = _Marker("NULL")
"""A field that is present but null, as Go writes non-omitempty fields of an empty object."""


@dataclass
class Comparison:
    added: FieldSet = field(default_factory=FieldSet)
    removed: FieldSet = field(default_factory=FieldSet)
    modified: FieldSet = field(default_factory=FieldSet)

    def changed(self) -> FieldSet:
        return self.modified.union(self.added)


def _value(container: dict[str, Any], key: str) -> Any:
    found = container.get(key, MISSING)
    return MISSING if found is None else found


def _empty(value: Any) -> bool:
    return value is MISSING or value is NULL or (isinstance(value, (dict, list)) and not value)


def same(left: Any, right: Any) -> bool:
    """JSON equality (1 and true differ, as they do for the apiserver)."""
    if left is NULL or right is NULL:
        return (left is NULL or left is None) and (right is NULL or right is None)
    return bool(orjson.dumps(left, option=orjson.OPT_SORT_KEYS) == orjson.dumps(right, option=orjson.OPT_SORT_KEYS))


class ApplyError(ValueError):
    """An applied configuration that cannot be typed (a list item without its key)."""


class TypedWalker:
    def __init__(self, shapes: Shapes) -> None:
        self.shapes = shapes

    # --- shapes of values ------------------------------------------------------------------------

    def _kind(self, schema: Schema | None, *values: Any) -> str:
        """`map`, `list` or `leaf` for the node holding `values` (atomic maps and lists are leaves)."""
        concrete = [v for v in values if v is not MISSING and v is not NULL]
        if not concrete:
            return "leaf"
        if all(isinstance(v, dict) for v in concrete):
            return "leaf" if self.shapes.atomic_map(schema) else "map"
        if all(isinstance(v, list) for v in concrete):
            return "leaf" if self.shapes.list_shape(schema).kind == "atomic" else "list"
        return "leaf"

    def item_element(self, item: Any, shape: ListShape) -> str | None:
        if shape.kind == "set":
            return None if isinstance(item, (dict, list)) or item is None else value_element(item)
        if not isinstance(item, dict) or not shape.keys:
            return None
        keys: dict[str, Any] = {}
        for name in shape.keys:
            if item.get(name) is not None:
                keys[name] = item[name]
            elif name in KEY_DEFAULTS:
                keys[name] = KEY_DEFAULTS[name]
            else:
                return None
        return key_element(keys)

    def index(self, items: Any, shape: ListShape, strict: bool = False) -> dict[str, Any] | None:
        """Items by path element, or None when some item has no key (the list is then treated as atomic)."""
        if not isinstance(items, list):
            return {}
        result: dict[str, Any] = {}
        for item in items:
            element = self.item_element(item, shape)
            if element is None:
                if strict:
                    names = ", ".join(f'"{name}"' for name in shape.keys)
                    raise ApplyError(f"associative list with keys has an element that omits key field {names} "
                                     f"(and doesn't have default value)")
                return None
            result.setdefault(element, item)
        return result

    # --- ToFieldSet ------------------------------------------------------------------------------

    def field_set(self, value: Any, schema: Schema | None, strict: bool = False) -> FieldSet:
        """The fields `value` sets: leaves, atomic values and list items (not the maps holding them)."""
        root = FieldSet()
        self._collect(value, schema, root, strict)
        return root

    def _collect(self, value: Any, schema: Schema | None, node: FieldSet, strict: bool) -> None:
        kind = self._kind(schema, value)
        if kind == "leaf":
            node.member = True
            return
        if kind == "map":
            for key, child in value.items():
                if child is None:
                    continue
                sub = FieldSet()
                self._collect(child, self.shapes.child(schema, key), sub, strict)
                if not sub.empty():
                    node.children[field_element(key)] = sub
            return
        shape = self.shapes.list_shape(schema)
        indexed = self.index(value, shape, strict)
        if indexed is None:
            node.member = True
            return
        item_schema = self.shapes.items(schema)
        for element, item in indexed.items():
            sub = FieldSet()
            if shape.kind == "map":
                self._collect(item, item_schema, sub, strict)
            sub.member = True
            node.children[element] = sub

    # --- Compare ---------------------------------------------------------------------------------

    def compare(self, old: Any, new: Any, schema: Schema | None) -> Comparison:
        result = Comparison()
        self._compare(old, new, schema, (), result)
        return result

    def _compare(self, lhs: Any, rhs: Any, schema: Schema | None, path: Path, result: Comparison) -> None:
        kind = self._kind(schema, lhs, rhs)
        if kind != "leaf" and _empty(lhs) and _empty(rhs):
            kind = "leaf"  # empty on both sides: compared as a value, keeping the empty/absent distinction
        if kind == "list":
            shape = self.shapes.list_shape(schema)
            left, right = self.index(lhs, shape), self.index(rhs, shape)
            if left is None or right is None:
                kind = "leaf"
        if kind == "leaf":
            if not path:
                return
            if lhs is MISSING:
                result.added.insert(path)
            elif rhs is MISSING:
                result.removed.insert(path)
            elif not same(lhs, rhs):
                result.modified.insert(path)
            return
        if kind == "map":
            left_map = lhs if isinstance(lhs, dict) else {}
            right_map = rhs if isinstance(rhs, dict) else {}
            for key in [*left_map, *(k for k in right_map if k not in left_map)]:
                self._compare(_value(left_map, key), _value(right_map, key), self.shapes.child(schema, key),
                              (*path, field_element(key)), result)
        else:
            assert left is not None and right is not None
            item_schema = self.shapes.items(schema)
            for element in [*left, *(e for e in right if e not in left)]:
                self._compare(left.get(element, MISSING), right.get(element, MISSING), item_schema,
                              (*path, element), result)
        if path and lhs is MISSING:
            result.added.insert(path)
        elif path and rhs is MISSING:
            result.removed.insert(path)

    # --- Merge -----------------------------------------------------------------------------------

    def merge(self, live: Any, config: Any, schema: Schema | None) -> Any:
        """`config` merged into `live`: maps by key, map and set lists by item, everything else replaced."""
        if config is MISSING or config is None:
            return live
        if live is MISSING or live is None or live is NULL:
            return _without_nulls(config)
        kind = self._kind(schema, live, config)
        if kind == "map":
            result = dict(live)
            for key, value in config.items():
                if value is not None:
                    result[key] = self.merge(_value(live, key), value, self.shapes.child(schema, key))
            return result
        if kind == "list":
            shape = self.shapes.list_shape(schema)
            left, right = self.index(live, shape), self.index(config, shape, strict=True)
            if left is None or right is None:
                return _without_nulls(config)
            item_schema = self.shapes.items(schema)
            return [self.merge(left.get(element, MISSING), right.get(element, MISSING), item_schema)
                    for element in merged_order(list(left), list(right))]
        return _without_nulls(config)

    # --- RemoveItems -----------------------------------------------------------------------------

    def remove(self, value: Any, removed: FieldSet, schema: Schema | None) -> Any:
        """`value` without the fields of `removed` (a member removes its whole subtree). Maps and lists that
        become empty disappear, as Go's omitempty drops them; structs stay as `{}`."""
        kind = self._kind(schema, value)
        if kind == "map":
            result: dict[str, Any] = {}
            for key, child in value.items():
                sub = removed.get(field_element(key))
                child_schema = self.shapes.child(schema, key)
                if sub is None:
                    result[key] = child
                elif not sub.member:
                    kept = self.remove(child, sub, child_schema)
                    if not (_empty(kept) and not _empty(child) and not self.shapes.is_struct(child_schema)):
                        result[key] = kept
            return result
        if kind == "list":
            shape = self.shapes.list_shape(schema)
            item_schema = self.shapes.items(schema)
            items: list[Any] = []
            for item in value:
                element = self.item_element(item, shape)
                sub = removed.get(element) if element is not None else None
                if sub is None:
                    items.append(item)
                elif not sub.member:
                    items.append(self.remove(item, sub, item_schema))
            return items
        return value

    # --- EnsureNamedFieldsAreMembers -------------------------------------------------------------

    def with_named_fields(self, fields: FieldSet, schema: Schema | None) -> FieldSet:
        """`fields` plus every struct field that holds one of its members (maps and lists are not added)."""
        result = fields.copy()
        self._name(result, schema)
        return result

    def _name(self, node: FieldSet, schema: Schema | None) -> None:
        struct = self.shapes.is_struct(schema)
        for element, child in node.children.items():
            if element.startswith("f:"):
                self._name(child, self.shapes.child(schema, element[2:]))
                if struct and not child.empty():
                    child.member = True
            else:
                self._name(child, self.shapes.items(schema))


def merged_order(left: list[str], right: list[str]) -> list[str]:
    """Item order of a merged list, as structured-merge-diff interleaves them: live-only items keep their
    place, shared items follow the applied order, applied-only items go where the configuration puts them."""
    right_set, left_set = set(right), set(left)
    shared = [element for element in right if element in left_set]
    next_shared = shared.pop(0) if shared else None
    taken: set[str] = set()
    out: list[str] = []
    li = ri = 0
    while li < len(left) or ri < len(right):
        if li < len(left) and ri < len(right):
            element = left[li]
            if element == right[ri]:
                out.append(element)
                taken.add(element)
                li += 1
                ri += 1
                next_shared = shared.pop(0) if shared else None
                continue
            if element in right_set and next_shared is not None and next_shared != element:
                li += 1
                continue
        if li < len(left):
            element = left[li]
            if element not in right_set:
                out.append(element)
                li += 1
                continue
            if element in taken:
                li += 1
                continue
        if ri < len(right):
            element = right[ri]
            taken.add(element)
            out.append(element)
            ri += 1
            if next_shared is not None and next_shared == element:
                next_shared = shared.pop(0) if shared else None
    return out


def _without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: _without_nulls(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_without_nulls(item) for item in value]
    return copy.copy(value)
