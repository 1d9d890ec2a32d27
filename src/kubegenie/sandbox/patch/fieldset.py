"""Field sets of server-side apply: trees of path elements in the FieldsV1 spelling (`f:name`, `k:{"name":"c"}`,
`v:"x"`, `i:0`), with the set algebra of structured-merge-diff and the `.spec.x[name="c"]` path texts the
apiserver prints in conflict messages. Pure data: no schemas, no objects.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

Path = tuple[str, ...]
_ORDER = {"f": 0, "k": 1, "v": 2, "i": 3}


def _sort_key(element: str) -> tuple[int, str]:
    # structured-merge-diff orders field names before keys, values and indexes.
    return _ORDER.get(element[:1], 4), element


class FieldSet:
    """A node of a field-set tree; `member` says whether the path ending here is in the set."""

    __slots__ = ("children", "member")

    def __init__(self) -> None:
        self.member = False
        self.children: dict[str, FieldSet] = {}

    # --- building --------------------------------------------------------------------------------

    def child(self, element: str) -> FieldSet:
        node = self.children.get(element)
        if node is None:
            node = self.children[element] = FieldSet()
        return node

    def insert(self, path: Path) -> None:
        node = self
        for element in path:
            node = node.child(element)
        node.member = True

    def copy(self) -> FieldSet:
        result = FieldSet()
        result.member = self.member
        result.children = {key: value.copy() for key, value in self.children.items()}
        return result

    # --- queries ---------------------------------------------------------------------------------

    def empty(self) -> bool:
        return not self.member and all(child.empty() for child in self.children.values())

    def has(self, path: Path) -> bool:
        node: FieldSet | None = self
        for element in path:
            node = node.children.get(element) if node is not None else None
            if node is None:
                return False
        return node is not None and node.member

    def get(self, element: str) -> FieldSet | None:
        return self.children.get(element)

    def paths(self, prefix: Path = ()) -> Iterator[Path]:
        """Member paths in structured-merge-diff order: members of a level before its children."""
        ordered = sorted(self.children, key=_sort_key)
        for element in ordered:
            if self.children[element].member:
                yield (*prefix, element)
        for element in ordered:
            yield from self.children[element].paths((*prefix, element))

    # --- algebra (each returns a new, pruned tree) -----------------------------------------------

    def union(self, other: FieldSet) -> FieldSet:
        result = FieldSet()
        result.member = self.member or other.member
        for key in self.children.keys() | other.children.keys():
            mine, theirs = self.children.get(key), other.children.get(key)
            if mine is None or theirs is None:
                chosen = mine or theirs
                assert chosen is not None
                node = chosen.copy()
            else:
                node = mine.union(theirs)
            if not node.empty():
                result.children[key] = node
        return result

    def difference(self, other: FieldSet) -> FieldSet:
        """Members of self that are not members of other."""
        result = FieldSet()
        result.member = self.member and not other.member
        for key, mine in self.children.items():
            theirs = other.children.get(key)
            node = mine.copy() if theirs is None else mine.difference(theirs)
            if not node.empty():
                result.children[key] = node
        return result

    def intersection(self, other: FieldSet) -> FieldSet:
        result = FieldSet()
        result.member = self.member and other.member
        for key, mine in self.children.items():
            theirs = other.children.get(key)
            if theirs is not None:
                node = mine.intersection(theirs)
                if not node.empty():
                    result.children[key] = node
        return result

    def without(self, element: str) -> FieldSet:
        """This set minus the whole subtree under one top-level element."""
        result = self.copy()
        result.children.pop(element, None)
        return result

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FieldSet) and self.to_fields_v1() == other.to_fields_v1()

    __hash__ = None  # type: ignore[assignment]

    # --- FieldsV1 --------------------------------------------------------------------------------

    def to_fields_v1(self) -> dict[str, Any]:
        """The FieldsV1 JSON of this set: a member with children carries `".": {}`."""
        result: dict[str, Any] = {}
        children = {key: node for key, node in self.children.items() if not node.empty()}
        if self.member and children:
            result["."] = {}
        for key in sorted(children, key=_sort_key):
            result[key] = children[key].to_fields_v1()
        return result

    @classmethod
    def from_fields_v1(cls, data: Any) -> FieldSet:
        root = cls()
        if isinstance(data, dict):
            for key, value in data.items():
                if key == ".":
                    continue
                root.children[key] = cls._node(value)
        return root

    @classmethod
    def _node(cls, data: Any) -> FieldSet:
        node = cls()
        if not isinstance(data, dict) or not data:
            node.member = True
            return node
        node.member = "." in data
        for key, value in data.items():
            if key != ".":
                node.children[key] = cls._node(value)
        return node


def field_element(name: str) -> str:
    return f"f:{name}"


def key_element(keys: dict[str, Any]) -> str:
    return "k:" + orjson.dumps(keys, option=orjson.OPT_SORT_KEYS).decode()


def value_element(value: Any) -> str:
    return "v:" + orjson.dumps(value).decode()


def path_text(path: Path) -> str:
    """`.spec.template.spec.containers[name="web"].image`, as fieldpath.Path prints."""
    parts: list[str] = []
    for element in path:
        kind, _, rest = element.partition(":")
        if kind == "f":
            parts.append("." + rest)
        elif kind == "k":
            keys = orjson.loads(rest)
            parts.append("[" + ",".join(f"{name}={_value_text(keys[name])}" for name in sorted(keys)) + "]")
        elif kind == "v":
            parts.append(f"[={_value_text(orjson.loads(rest))}]")
        else:
            parts.append(f"[{rest}]")
    return "".join(parts)


def _value_text(value: Any) -> str:
    if isinstance(value, str):
        return orjson.dumps(value).decode()
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return str(value)
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
