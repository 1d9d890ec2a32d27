"""OpenAPI documents: `/openapi/v2` (an empty body with the protobuf content type kubectl 1.27/1.28 accept)
and `/openapi/v3` (an index plus one document per group-version, with a PATCH operation per kind that
carries x-kubernetes-group-version-kind and the fieldValidation parameter, and the kinds' schemas
under components.schemas so `kubectl explain` works). Documents are rebuilt when CRDs change.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import orjson

from kubegenie.sandbox.resources import ResourceType

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

V2_CONTENT_TYPE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
_DEFS_PREFIX = "#/$defs/"
_COMPONENTS_PREFIX = "#/components/schemas/"


def gv_path(group: str, version: str) -> str:
    return f"apis/{group}/{version}" if group else f"api/{version}"


def _convert(schema: Any) -> Any:
    """kubernetes-validate's JSON-schema dialect -> OpenAPI 3.0 as the apiserver publishes it."""
    if isinstance(schema, list):
        return [_convert(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    one_of = schema.get("oneOf")
    if isinstance(one_of, list) and {t for s in one_of if isinstance(s, dict)
                                     for t in _types(s)} <= {"string", "number", "integer", "null"}:
        result: dict[str, Any] = {k: _convert(v) for k, v in schema.items() if k != "oneOf"}
        if "integer" in {t for s in one_of if isinstance(s, dict) for t in _types(s)}:
            result["x-kubernetes-int-or-string"] = True
        else:
            result["type"] = "string"
        return result
    result = {}
    for key, value in schema.items():
        if key == "type" and isinstance(value, list):
            non_null = [t for t in value if t != "null"]
            result["type"] = non_null[0] if non_null else "string"
        elif key == "$ref" and isinstance(value, str) and value.startswith(_DEFS_PREFIX):
            return {"allOf": [{"$ref": _COMPONENTS_PREFIX + value[len(_DEFS_PREFIX):]}],
                    **({"description": schema["description"]} if "description" in schema else {})}
        elif key in ("properties", "patternProperties"):
            result[key] = {name: _convert(sub) for name, sub in value.items()}
        elif key == "enum" and isinstance(value, list):
            result[key] = [item for item in value if item is not None]
        else:
            result[key] = _convert(value)
    return result


def _types(schema: dict[str, Any]) -> list[str]:
    value = schema.get("type")
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)] if value else []


def _collect(definitions: dict[str, Any], root: str, found: dict[str, Any]) -> None:
    stack = [root]
    while stack:
        name = stack.pop()
        if name in found or name not in definitions:
            continue
        found[name] = definitions[name]
        _refs(definitions[name], stack)


def _refs(node: Any, out: list[str]) -> None:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith(_DEFS_PREFIX):
            out.append(ref[len(_DEFS_PREFIX):])
        for value in node.values():
            _refs(value, out)
    elif isinstance(node, list):
        for value in node:
            _refs(value, out)


def _patch_operation(rtype: ResourceType) -> dict[str, Any]:
    return {"patch": {
        "tags": [rtype.group or "core"],
        "description": f"partially update the specified {rtype.kind}",
        "operationId": f"patch{rtype.kind}",
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": {"group": rtype.group, "version": rtype.version, "kind": rtype.kind},
        "parameters": [
            {"name": "dryRun", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
            {"name": "fieldManager", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
            {"name": "fieldValidation", "in": "query", "schema": {"type": "string", "uniqueItems": True}},
            {"name": "force", "in": "query", "schema": {"type": "boolean", "uniqueItems": True}},
        ],
        "responses": {"200": {"description": "OK"}, "201": {"description": "Created"}},
    }}


class OpenAPIDocuments:
    """Builds and caches the v3 documents of one cluster."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._generation = -1
        self._documents: dict[str, bytes] = {}
        self._hashes: dict[str, str] = {}

    def _refresh(self) -> None:
        generation = self.cluster.registry.generation
        if generation == self._generation:
            return
        self._documents.clear()
        self._hashes.clear()
        for group, versions in self.cluster.registry.group_versions().items():
            for version in versions:
                document = self._build(group, version)
                path = gv_path(group, version)
                self._documents[path] = document
                self._hashes[path] = hashlib.sha512(document).hexdigest()[:128].upper()
        self._generation = generation

    def index(self) -> dict[str, Any]:
        self._refresh()
        return {"paths": {path: {"serverRelativeURL": f"/openapi/v3/{path}?hash={digest}"}
                          for path, digest in sorted(self._hashes.items())}}

    def document(self, path: str) -> tuple[bytes, str] | None:
        """(document bytes, hash) for `api/v1` or `apis/<group>/<version>`."""
        self._refresh()
        if path not in self._documents:
            return None
        return self._documents[path], self._hashes[path]

    def _build(self, group: str, version: str) -> bytes:
        schemas = self.cluster.schemas
        paths: dict[str, Any] = {}
        needed: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        prefix = "/" + gv_path(group, version)
        for rtype in self.cluster.registry.in_group_version(group, version):
            if rtype.stored and "patch" in rtype.verbs:
                item = f"{prefix}/namespaces/{{namespace}}/{rtype.plural}/{{name}}" if rtype.namespaced \
                    else f"{prefix}/{rtype.plural}/{{name}}"
                paths[item] = _patch_operation(rtype)
            custom_schema = schemas.custom.get((group, version, rtype.kind))
            if custom_schema is not None:
                custom[f"{rtype.group or 'core'}.{version}.{rtype.kind}"] = custom_schema
                continue
            name = schemas.definition_name(group, version, rtype.kind)
            if name:
                _collect(schemas.definitions, name, needed)
        components = {name: _convert(schema) for name, schema in needed.items()}
        components.update(custom)
        document = {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": self.cluster.version.git_version},
                    "paths": paths, "components": {"schemas": components}}
        return orjson.dumps(document)
