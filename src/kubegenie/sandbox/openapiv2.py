"""`/openapi/v2`: the Swagger 2.0 document of every served kind, built from the same definitions as the v3
documents (plus each CRD version's schema, stripped as apiextensions publishes v2), served as JSON or, for
kubectl, as the gnostic `openapi.v2.Document` protobuf (kubectl 1.27/1.28 fetch it for every validated
write, and every version needs it for `kubectl explain --output=plaintext-openapiv2`).

It only builds and encodes documents; the server decides which encoding a request gets.
"""

from __future__ import annotations

import hashlib
import struct
from typing import TYPE_CHECKING, Any

import orjson

from kubegenie.sandbox.openapi import custom_components
from kubegenie.sandbox.resources import ResourceType

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

PROTOBUF = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf"
_DEFS = "#/$defs/"
_DEFINITIONS = "#/definitions/"
_COMPONENTS = "#/components/schemas/"
# Value validations apiextensions strips from CRD schemas before publishing them in v2.
_VALUE_VALIDATIONS = frozenset({"format", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum", "maxLength",
                                "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "multipleOf", "enum",
                                "maxProperties", "minProperties", "required", "allOf", "oneOf", "anyOf", "not",
                                "nullable", "x-kubernetes-validations", "default", "example"})


def wants_protobuf(accept: str) -> bool:
    return "protobuf" in accept and "proto-openapi" in accept


# --- Swagger 2.0 ---------------------------------------------------------------------------------------

def builtin_schema(schema: Any) -> Any:
    """A definition of the schema package as the apiserver's v2 document has it."""
    if isinstance(schema, list):
        return [builtin_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    one_of = schema.get("oneOf")
    if isinstance(one_of, list):
        kinds = {t for option in one_of if isinstance(option, dict) for t in _types(option)} - {"null"}
        rest = {k: builtin_schema(v) for k, v in schema.items() if k != "oneOf"}
        if kinds == {"string", "integer"}:
            return {**rest, "type": "string", "format": "int-or-string"}
        if kinds <= {"string", "number", "integer"}:
            return {**rest, "type": "string"}
        return rest
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "$ref" and isinstance(value, str):
            result[key] = value.replace(_DEFS, _DEFINITIONS)
        elif key == "type" and isinstance(value, list):
            named = [t for t in value if t != "null"]
            if named:
                result[key] = named[0]
        elif key in ("properties", "patternProperties") and isinstance(value, dict):
            result[key] = {name: builtin_schema(sub) for name, sub in value.items()}
        elif key == "enum" and isinstance(value, list):
            result[key] = [item for item in value if item is not None]
        else:
            result[key] = builtin_schema(value)
    return result


def _types(schema: dict[str, Any]) -> list[str]:
    value = schema.get("type")
    return [str(v) for v in value] if isinstance(value, list) else [str(value)] if value else []


def crd_schema(schema: Any) -> Any:
    """A CRD schema as published in v2: structure and descriptions only (value validations stripped), and
    v3 component references turned into v2 definition references."""
    if isinstance(schema, list):
        return [crd_schema(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if isinstance(schema.get("allOf"), list) and len(schema["allOf"]) == 1 and "$ref" in schema["allOf"][0]:
        reference: dict[str, Any] = {"$ref": schema["allOf"][0]["$ref"].replace(_COMPONENTS, _DEFINITIONS)}
        if "description" in schema:
            reference["description"] = schema["description"]
        return reference
    result: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _VALUE_VALIDATIONS:
            continue
        if key == "$ref" and isinstance(value, str):
            result[key] = value.replace(_COMPONENTS, _DEFINITIONS)
        elif key == "properties" and isinstance(value, dict):
            result[key] = {name: crd_schema(sub) for name, sub in value.items()}
        elif key == "x-kubernetes-group-version-kind":
            result[key] = value
        else:
            result[key] = crd_schema(value)
    if result.get("x-kubernetes-int-or-string"):
        result.pop("type", None)
    return result


def _patch_path(rtype: ResourceType) -> tuple[str, dict[str, Any]]:
    prefix = f"/apis/{rtype.group}/{rtype.version}" if rtype.group else f"/api/{rtype.version}"
    path = f"{prefix}/namespaces/{{namespace}}/{rtype.plural}/{{name}}" if rtype.namespaced \
        else f"{prefix}/{rtype.plural}/{{name}}"
    parameters = [{"uniqueItems": True, "type": "string", "name": name, "in": "query"}
                  for name in ("dryRun", "fieldManager", "fieldValidation")]
    parameters.append({"uniqueItems": True, "type": "boolean", "name": "force", "in": "query"})
    operation = {
        "description": f"partially update the specified {rtype.kind}",
        "consumes": ["application/json-patch+json", "application/merge-patch+json",
                     "application/apply-patch+yaml"],
        "produces": ["application/json", "application/yaml"],
        "schemes": ["https"],
        "tags": [rtype.group or "core"],
        "operationId": f"patch{rtype.kind}",
        "parameters": parameters,
        "responses": {"200": {"description": "OK"}, "201": {"description": "Created"},
                      "401": {"description": "Unauthorized"}},
        "x-kubernetes-action": "patch",
        "x-kubernetes-group-version-kind": {"group": rtype.group, "kind": rtype.kind, "version": rtype.version},
    }
    return path, {"patch": operation}


def swagger(cluster: Cluster) -> dict[str, Any]:
    """The whole v2 document of one cluster."""
    schemas = cluster.schemas
    definitions = {name: builtin_schema(schema) for name, schema in sorted(schemas.definitions.items())}
    for definition in definitions.values():
        properties = definition.get("properties") if "x-kubernetes-group-version-kind" in definition else None
        for key in ("apiVersion", "kind"):
            if isinstance(properties, dict) and isinstance(properties.get(key), dict):
                properties[key].pop("enum", None)
    paths: dict[str, Any] = {}
    pod = definitions.get("io.k8s.api.core.v1.Pod") or {}
    type_meta = {key: value for key, value in (pod.get("properties") or {}).items() if key in ("apiVersion", "kind")}
    for rtype in cluster.registry:
        if rtype.stored and "patch" in rtype.verbs:
            path, item = _patch_path(rtype)
            paths[path] = item
        schema = schemas.custom.get((rtype.group, rtype.version, rtype.kind))
        if rtype.custom and schema is not None:
            for name, component in custom_components(rtype, schema, type_meta).items():
                definitions[name] = crd_schema(component)
    return {"swagger": "2.0", "info": {"title": "Kubernetes", "version": cluster.version.git_version},
            "paths": dict(sorted(paths.items())), "definitions": definitions}


class OpenAPIV2:
    """The v2 document of one cluster in both encodings, rebuilt when the served types change."""

    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self._generation = -1
        self._json = b""
        self._protobuf = b""
        self.etag = ""

    def _refresh(self) -> None:
        if self._generation == self.cluster.registry.generation:
            return
        document = swagger(self.cluster)
        self._json = orjson.dumps(document)
        self._protobuf = encode_document(document)
        self.etag = hashlib.sha512(self._json).hexdigest()[:128].upper()
        self._generation = self.cluster.registry.generation

    def encoded(self, accept: str) -> tuple[bytes, str]:
        """(body, content type): protobuf when the client lists the gnostic media type, JSON otherwise."""
        self._refresh()
        if wants_protobuf(accept):
            return self._protobuf, PROTOBUF
        return self._json, "application/json"


# --- protobuf: gnostic openapi_v2 (github.com/google/gnostic-models/openapiv2/OpenAPIv2.proto) ----------------

def _varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        bits = value & 0x7F
        value >>= 7
        if value:
            out.append(bits | 0x80)
        else:
            out.append(bits)
            return bytes(out)


def _key(number: int, wire: int) -> bytes:
    return _varint((number << 3) | wire)


def _bytes(number: int, payload: bytes) -> bytes:
    return _key(number, 2) + _varint(len(payload)) + payload


def _string(number: int, value: str) -> bytes:
    return _bytes(number, value.encode()) if value else b""


def _bool(number: int, value: Any) -> bytes:
    return _key(number, 0) + b"\x01" if value is True else b""


def _int(number: int, value: Any) -> bytes:
    return _key(number, 0) + _varint(int(value)) if isinstance(value, int) and not isinstance(value, bool) \
        and value else b""


def _double(number: int, value: Any) -> bytes:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return b""
    return _key(number, 1) + struct.pack("<d", float(value))


def _any(value: Any) -> bytes:
    """openapi.v2.Any: the value as YAML text (JSON is YAML), which is how gnostic carries free-form values."""
    return _string(2, orjson.dumps(value).decode())


def _named_any(number: int, name: str, value: Any) -> bytes:
    return _bytes(number, _string(1, name) + _bytes(2, _any(value)))


def _extensions(number: int, node: dict[str, Any]) -> bytes:
    return b"".join(_named_any(number, key, value) for key, value in node.items() if key.startswith("x-"))


def encode_schema(schema: dict[str, Any]) -> bytes:
    """openapi.v2.Schema."""
    out = [_string(1, str(schema.get("$ref", ""))), _string(2, str(schema.get("format", ""))),
           _string(3, str(schema.get("title", ""))), _string(4, str(schema.get("description", "")))]
    if "default" in schema:
        out.append(_bytes(5, _any(schema["default"])))
    out += [_double(6, schema.get("multipleOf")), _double(7, schema.get("maximum")),
            _bool(8, schema.get("exclusiveMaximum")), _double(9, schema.get("minimum")),
            _bool(10, schema.get("exclusiveMinimum")), _int(11, schema.get("maxLength")),
            _int(12, schema.get("minLength")), _string(13, str(schema.get("pattern", ""))),
            _int(14, schema.get("maxItems")), _int(15, schema.get("minItems")), _bool(16, schema.get("uniqueItems")),
            _int(17, schema.get("maxProperties")), _int(18, schema.get("minProperties"))]
    out += [_string(19, str(name)) for name in schema.get("required") or []]
    out += [_bytes(20, _any(item)) for item in schema.get("enum") or []]
    additional = schema.get("additionalProperties")
    if isinstance(additional, dict):
        out.append(_bytes(21, _bytes(1, encode_schema(additional))))
    elif isinstance(additional, bool):
        out.append(_bytes(21, _key(2, 0) + (b"\x01" if additional else b"\x00")))
    kind = schema.get("type")
    if isinstance(kind, str) and kind:
        out.append(_bytes(22, _string(1, kind)))
    items = schema.get("items")
    if isinstance(items, dict):
        out.append(_bytes(23, _bytes(1, encode_schema(items))))
    out += [_bytes(24, encode_schema(sub)) for sub in schema.get("allOf") or [] if isinstance(sub, dict)]
    properties = schema.get("properties")
    if isinstance(properties, dict):
        named = b"".join(_bytes(1, _string(1, name) + _bytes(2, encode_schema(sub)))
                         for name, sub in properties.items() if isinstance(sub, dict))
        out.append(_bytes(25, named))
    out.append(_bool(27, schema.get("readOnly")))
    if "example" in schema:
        out.append(_bytes(30, _any(schema["example"])))
    out.append(_extensions(31, schema))
    return b"".join(out)


def _encode_parameter(parameter: dict[str, Any]) -> bytes:
    """A query parameter: ParametersItem{Parameter{NonBodyParameter{QueryParameterSubSchema}}}."""
    query = b"".join([_bool(1, parameter.get("required")), _string(2, str(parameter.get("in", ""))),
                      _string(3, str(parameter.get("description", ""))), _string(4, str(parameter.get("name", ""))),
                      _string(6, str(parameter.get("type", ""))), _bool(20, parameter.get("uniqueItems"))])
    return _bytes(1, _bytes(2, _bytes(3, query)))


def _encode_operation(operation: dict[str, Any]) -> bytes:
    out = [_string(1, str(tag)) for tag in operation.get("tags") or []]
    out.append(_string(3, str(operation.get("description", ""))))
    out.append(_string(5, str(operation.get("operationId", ""))))
    out += [_string(6, str(kind)) for kind in operation.get("produces") or []]
    out += [_string(7, str(kind)) for kind in operation.get("consumes") or []]
    out += [_bytes(8, _encode_parameter(p)) for p in operation.get("parameters") or []]
    responses = b"".join(_bytes(1, _string(1, code) + _bytes(2, _bytes(1, _string(1, str(r.get("description", ""))))))
                         for code, r in (operation.get("responses") or {}).items())
    out.append(_bytes(9, responses))
    out += [_string(10, str(scheme)) for scheme in operation.get("schemes") or []]
    out.append(_extensions(13, operation))
    return b"".join(out)


_METHODS = {"get": 2, "put": 3, "post": 4, "delete": 5, "options": 6, "head": 7, "patch": 8}


def encode_document(document: dict[str, Any]) -> bytes:
    """openapi.v2.Document."""
    info = document.get("info") or {}
    out = [_string(1, str(document.get("swagger", "2.0"))),
           _bytes(2, _string(1, str(info.get("title", ""))) + _string(2, str(info.get("version", ""))))]
    paths = []
    for path, item in (document.get("paths") or {}).items():
        operations = b"".join(_bytes(_METHODS[method], _encode_operation(operation))
                              for method, operation in item.items() if method in _METHODS)
        paths.append(_bytes(2, _string(1, path) + _bytes(2, operations)))
    out.append(_bytes(8, b"".join(paths)))
    definitions = b"".join(_bytes(1, _string(1, name) + _bytes(2, encode_schema(schema)))
                           for name, schema in (document.get("definitions") or {}).items())
    out.append(_bytes(9, definitions))
    return b"".join(out)
