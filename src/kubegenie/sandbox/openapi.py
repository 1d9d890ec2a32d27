"""OpenAPI v3 documents: `/openapi/v3` (an index plus one document per group-version, with a PATCH operation
per kind that carries x-kubernetes-group-version-kind and the fieldValidation parameter, and the kinds'
schemas under components.schemas so `kubectl explain` works). CRD versions publish their schemas the way
apiextensions does. Documents are rebuilt when CRDs change; `/openapi/v2` lives in `openapiv2.py`.
"""

from __future__ import annotations

import copy
import hashlib
from typing import TYPE_CHECKING, Any

import orjson

from kubegenie.sandbox.resources import ResourceType
from kubegenie.sandbox.schemas import SchemaSet

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

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


def rest_friendly_name(group: str, version: str, kind: str) -> str:
    """The definition name the apiserver gives a CRD kind: the group's domain reversed, then version and kind
    (`rds.aws.m.upbound.io/v1beta1.Instance` -> `io.upbound.m.aws.rds.v1beta1.Instance`)."""
    return ".".join([*reversed(group.split(".")), version, kind]) if group else f"{version}.{kind}"


def _ref(name: str, description: str | None = None) -> dict[str, Any]:
    schema: dict[str, Any] = {"allOf": [{"$ref": _COMPONENTS_PREFIX + name}]}
    if description:
        schema["description"] = description
    return schema


_OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
_LIST_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta"
_METADATA_DESCRIPTION = ("Standard object's metadata. More info: "
                         "https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata")
_LIST_METADATA_DESCRIPTION = ("Standard list metadata. More info: "
                              "https://git.k8s.io/community/contributors/devel/sig-architecture/"
                              "api-conventions.md#types-kinds")


def custom_components(rtype: ResourceType, schema: dict[str, Any], type_meta: dict[str, Any]) -> dict[str, Any]:
    """The kind and list-kind schemas of one CRD version, as apiextensions' OpenAPI builder publishes them:
    the CRD's schema with TypeMeta properties, metadata as a reference to ObjectMeta, and the GVK extension."""
    gvk = {"group": rtype.group, "kind": rtype.kind, "version": rtype.version}
    name = rest_friendly_name(rtype.group, rtype.version, rtype.kind)
    body = copy.deepcopy(schema)
    properties = body.setdefault("properties", {})
    properties["apiVersion"] = dict(type_meta.get("apiVersion") or {"type": "string"})
    properties["kind"] = dict(type_meta.get("kind") or {"type": "string"})
    properties["metadata"] = _ref(_OBJECT_META, _METADATA_DESCRIPTION)
    body.setdefault("type", "object")
    body["x-kubernetes-group-version-kind"] = [gvk]
    list_schema = {
        "description": f"{rtype.list_kind} is a list of {rtype.kind}",
        "properties": {
            "apiVersion": dict(type_meta.get("apiVersion") or {"type": "string"}),
            "items": {"description": f"List of {rtype.plural}. More info: "
                                     f"https://git.k8s.io/community/contributors/devel/sig-architecture/"
                                     f"api-conventions.md",
                      "items": _ref(name), "type": "array"},
            "kind": dict(type_meta.get("kind") or {"type": "string"}),
            "metadata": _ref(_LIST_META, _LIST_METADATA_DESCRIPTION),
        },
        "required": ["items"],
        "type": "object",
        "x-kubernetes-group-version-kind": [{**gvk, "kind": rtype.list_kind}],
    }
    return {name: body, rest_friendly_name(rtype.group, rtype.version, rtype.list_kind): list_schema}


class OpenAPIDocuments:
    """Builds and caches the v3 documents of one cluster; a group-version's document is rebuilt only when
    its types or their CRD schemas change, and its hash changes with it."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._generation = -1
        self._documents: dict[str, bytes] = {}
        self._hashes: dict[str, str] = {}
        self._signatures: dict[str, tuple[Any, ...]] = {}

    def _refresh(self) -> None:
        generation = self.cluster.registry.generation
        if generation == self._generation:
            return
        wanted: set[str] = set()
        for group, versions in self.cluster.registry.group_versions().items():
            for version in versions:
                path = gv_path(group, version)
                wanted.add(path)
                signature = self._signature(group, version)
                if self._signatures.get(path) == signature:
                    continue
                document = self._build(group, version)
                self._documents[path] = document
                self._hashes[path] = hashlib.sha512(document).hexdigest()[:128].upper()
                self._signatures[path] = signature
        for path in set(self._documents) - wanted:
            del self._documents[path], self._hashes[path], self._signatures[path]
        self._generation = generation

    def _signature(self, group: str, version: str) -> tuple[Any, ...]:
        custom = self.cluster.schemas.custom
        return tuple((rtype, id(custom.get((group, version, rtype.kind))))
                     for rtype in self.cluster.registry.in_group_version(group, version))

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
                custom.update(custom_components(rtype, custom_schema, _type_meta(schemas)))
                _collect(schemas.definitions, _OBJECT_META, needed)
                _collect(schemas.definitions, _LIST_META, needed)
                continue
            name = schemas.definition_name(group, version, rtype.kind)
            if name:
                _collect(schemas.definitions, name, needed)
        components = {name: _published(schema) for name, schema in needed.items()}
        components.update(custom)
        document = {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": self.cluster.version.git_version},
                    "paths": paths, "components": {"schemas": components}}
        return orjson.dumps(document)


def _type_meta(schemas: SchemaSet) -> dict[str, Any]:
    """apiVersion and kind as every kind's schema describes them, without the per-kind enum."""
    pod = schemas.definitions.get("io.k8s.api.core.v1.Pod") or {}
    properties = pod.get("properties") or {}
    return {key: {k: v for k, v in _convert(properties[key]).items() if k != "enum"}
            for key in ("apiVersion", "kind") if key in properties}


def _published(schema: Any) -> Any:
    """A built-in definition as the apiserver publishes it: OpenAPI 3.0, and apiVersion/kind without the
    single-value enums the schema package adds."""
    converted = _convert(schema)
    if isinstance(converted, dict):
        properties = converted.get("properties")
        if isinstance(properties, dict):
            for key in ("apiVersion", "kind"):
                if isinstance(properties.get(key), dict):
                    properties[key] = {k: v for k, v in properties[key].items() if k != "enum"}
    return converted
