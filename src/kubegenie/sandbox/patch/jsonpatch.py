"""JSON patch (RFC 6902) with JSON pointers (RFC 6901): add, remove, replace, move, copy, test.
Failures are the apiserver's 422/400 texts, and the object is left unchanged."""

from __future__ import annotations

import copy
from typing import Any

from kubegenie.sandbox import status


def _pointer(path: Any) -> list[str]:
    if not isinstance(path, str) or (path and not path.startswith("/")):
        raise status.ApiError(422, "Invalid", f'the server rejected our request due to an error in our request: '
                                              f'invalid JSON pointer "{path}"')
    if path == "":
        return []
    return [part.replace("~1", "/").replace("~0", "~") for part in path[1:].split("/")]


def _fail(message: str) -> status.ApiError:
    return status.ApiError(422, "Invalid", f"the server rejected our request due to an error in our request: "
                                           f"{message}")


def _parent(doc: Any, parts: list[str], op: str, path: str) -> tuple[Any, str]:
    node = doc
    for part in parts[:-1]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise _fail(f"{op} operation does not apply: doc is missing path: \"{path}\": missing value")
    return node, parts[-1]


def _get(doc: Any, path: str, op: str) -> Any:
    node = doc
    for part in _pointer(path):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise _fail(f"{op} operation does not apply: doc is missing path: \"{path}\": missing value")
    return node


def _add(doc: Any, path: str, value: Any) -> Any:
    parts = _pointer(path)
    if not parts:
        return value
    parent, last = _parent(doc, parts, "add", path)
    if isinstance(parent, dict):
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-":
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent):
            parent.insert(int(last), value)
        else:
            raise _fail(f'add operation does not apply: doc is missing path: "{path}": missing value')
    else:
        raise _fail(f'add operation does not apply: doc is missing path: "{path}": missing value')
    return doc


def _remove(doc: Any, path: str, op: str = "remove") -> Any:
    parts = _pointer(path)
    if not parts:
        raise _fail("cannot remove the whole document")
    parent, last = _parent(doc, parts, op, path)
    if isinstance(parent, dict) and last in parent:
        return parent.pop(last)
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent.pop(int(last))
    raise _fail(f'{op} operation does not apply: doc is missing path: "{path}": missing value')


def apply(document: dict[str, Any], operations: list[Any]) -> dict[str, Any]:
    doc: Any = copy.deepcopy(document)
    for operation in operations:
        if not isinstance(operation, dict) or "op" not in operation:
            raise status.bad_request("json patch operation must be an object with an \"op\"")
        op, path = operation.get("op"), operation.get("path")
        if not isinstance(path, str):
            raise _fail(f"{op} operation needs a path")
        if op == "add":
            doc = _add(doc, path, copy.deepcopy(operation.get("value")))
        elif op == "remove":
            _remove(doc, path)
        elif op == "replace":
            _get(doc, path, "replace")
            parts = _pointer(path)
            if not parts:
                doc = copy.deepcopy(operation.get("value"))
            else:
                parent, last = _parent(doc, parts, "replace", path)
                if isinstance(parent, list):
                    parent[int(last)] = copy.deepcopy(operation.get("value"))
                else:
                    parent[last] = copy.deepcopy(operation.get("value"))
        elif op == "move":
            value = _remove(doc, str(operation.get("from")), "move")
            doc = _add(doc, path, value)
        elif op == "copy":
            doc = _add(doc, path, copy.deepcopy(_get(doc, str(operation.get("from")), "copy")))
        elif op == "test":
            if _get(doc, path, "test") != operation.get("value"):
                raise _fail(f'testing value {path} failed: test failed')
        else:
            raise status.bad_request(f"Unexpected kind: {op}")
    if not isinstance(doc, dict):
        raise status.bad_request("json patch must leave an object")
    return doc
