"""JSON patch (RFC 6902) with JSON pointers (RFC 6901): add, remove, replace, move, copy and test, with the
apiserver's JSON patch library's array rules (`-` appends, negative indexes count from the end).

A body that is not a list of operations is a 400; an operation that does not apply is the apiserver's
generic 422 ("the server rejected our request ..."), and the object is left unchanged.
"""

from __future__ import annotations

import copy
from typing import Any

from kubegenie.sandbox import status

MAX_OPERATIONS = 10000


class _NotApplicable(Exception):
    pass


def rejected() -> status.ApiError:
    """The apiserver wraps every failed operation in this generic response (details are empty)."""
    return status.ApiError(422, "Invalid", "the server rejected our request due to an error in our request", {})


def _pointer(path: Any) -> list[str]:
    if not isinstance(path, str):
        raise _NotApplicable("operation missing path field")
    if path == "":
        return []
    if not path.startswith("/"):
        raise _NotApplicable(f"invalid JSON pointer {path!r}")
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _index(token: str, size: int, inserting: bool = False) -> int:
    try:
        index = int(token)
    except ValueError as exc:
        raise _NotApplicable(f"value was not a proper array index: '{token}'") from exc
    limit = size + 1 if inserting else size
    if index < 0:
        if index < -limit:
            raise _NotApplicable(f"Unable to access invalid index: {index}")
        index += limit
    if index >= limit:
        raise _NotApplicable(f"Unable to access invalid index: {index}")
    return index


def _container(doc: Any, parts: list[str]) -> tuple[Any, str]:
    """The object or array holding the last token of a non-empty pointer."""
    node = doc
    for token in parts[:-1]:
        if isinstance(node, dict) and token in node:
            node = node[token]
        elif isinstance(node, list):
            node = node[_index(token, len(node))]
        else:
            raise _NotApplicable("doc is missing path")
    if not isinstance(node, (dict, list)):
        raise _NotApplicable("doc is missing path")
    return node, parts[-1]


def _get(doc: Any, path: Any) -> Any:
    parts = _pointer(path)
    if not parts:
        return doc
    node, last = _container(doc, parts)
    if isinstance(node, dict):
        if last not in node:
            raise _NotApplicable("missing value")
        return node[last]
    return node[_index(last, len(node))]


def _add(doc: Any, path: Any, value: Any) -> Any:
    parts = _pointer(path)
    if not parts:
        return value
    node, last = _container(doc, parts)
    if isinstance(node, dict):
        node[last] = value
    elif last == "-":
        node.append(value)
    else:
        node.insert(_index(last, len(node), inserting=True), value)
    return doc


def _remove(doc: Any, path: Any) -> Any:
    parts = _pointer(path)
    if not parts:
        raise _NotApplicable("cannot remove the whole document")
    node, last = _container(doc, parts)
    if isinstance(node, dict):
        if last not in node:
            raise _NotApplicable(f"Unable to remove nonexistent key: {last}: missing value")
        return node.pop(last)
    return node.pop(_index(last, len(node)))


def _replace(doc: Any, path: Any, value: Any) -> Any:
    parts = _pointer(path)
    if not parts:
        return value
    node, last = _container(doc, parts)
    if isinstance(node, dict):
        if last not in node:
            raise _NotApplicable("replace operation does not apply: doc is missing key")
        node[last] = value
    else:
        node[_index(last, len(node))] = value
    return doc


def _test(doc: Any, path: Any, operation: dict[str, Any]) -> None:
    try:
        found = _get(doc, path)
    except _NotApplicable:
        if operation.get("value") is None:
            return  # testing a missing path for null succeeds, as in the apiserver's library
        raise
    if not _json_equal(found, operation.get("value")):
        raise _NotApplicable(f"testing value {path} failed")


def _json_equal(left: Any, right: Any) -> bool:
    if isinstance(left, bool) or isinstance(right, bool):
        return left is right
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(_json_equal(left[k], right[k]) for k in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(_json_equal(a, b) for a, b in zip(left, right, strict=True))
    return bool(left == right)


def decode(document: Any) -> list[dict[str, Any]]:
    if not isinstance(document, list):
        kind = "object" if isinstance(document, dict) else "string" if isinstance(document, str) else "number"
        raise status.bad_request(f"json: cannot unmarshal {kind} into Go value of type jsonpatch.Patch")
    for operation in document:
        if not isinstance(operation, dict):
            raise status.bad_request("json: cannot unmarshal " + ("array" if isinstance(operation, list) else
                                     "string" if isinstance(operation, str) else "number")
                                     + " into Go value of type jsonpatch.Operation")
    if len(document) > MAX_OPERATIONS:
        raise status.ApiError(413, "RequestEntityTooLarge", f"Request entity too large: The allowed maximum "
                                                            f"operations in a JSON patch is {MAX_OPERATIONS}, "
                                                            f"got {len(document)}")
    return document


def apply(document: dict[str, Any], operations: Any) -> dict[str, Any]:
    doc: Any = copy.deepcopy(document)
    try:
        for operation in decode(operations):
            doc = _apply_one(doc, operation)
    except _NotApplicable as exc:
        raise rejected() from exc
    if not isinstance(doc, dict):
        raise rejected()
    return doc


def _apply_one(doc: Any, operation: dict[str, Any]) -> Any:
    op, path = operation.get("op"), operation.get("path")
    if op == "add":
        return _add(doc, path, copy.deepcopy(operation.get("value")))
    if op == "remove":
        _remove(doc, path)
        return doc
    if op == "replace":
        return _replace(doc, path, copy.deepcopy(operation.get("value")))
    if op == "move":
        source = operation.get("from")
        if source == path:
            _get(doc, source)
            return doc
        return _add(doc, path, _remove(doc, source))
    if op == "copy":
        return _add(doc, path, copy.deepcopy(_get(doc, operation.get("from"))))
    if op == "test":
        _test(doc, path, operation)
        return doc
    raise _NotApplicable(f"Unexpected kind: {op}")
