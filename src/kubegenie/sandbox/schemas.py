"""Schemas of the built-in kinds, read from the `kubernetes-validate` package (generated from the upstream
OpenAPI), plus the schemas CRDs declare. Used for OpenAPI documents, strict field validation and the
strategic-merge keys of lists.

Definitions are loaded once per Kubernetes minor version and shared by every cluster in the process.
"""

from __future__ import annotations

import functools
import re
from importlib import resources as importlib_resources
from typing import Any

import orjson

Schema = dict[str, Any]
_REF_PREFIX = "#/$defs/"
OBJECT_META = "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"


@functools.lru_cache(maxsize=4)
def _load_definitions(minor: int) -> dict[str, Schema]:
    root = importlib_resources.files("kubernetes_validate") / "kubernetes-json-schema"
    available = sorted(
        int(match.group(1)) for entry in root.iterdir()
        if (match := re.fullmatch(r"v1\.(\d+)\.0-local", entry.name))
    )
    if not available:  # pragma: no cover - the package always ships schemas
        raise RuntimeError("kubernetes-validate ships no schemas")
    chosen = min(available, key=lambda m: (abs(m - minor), -m))
    data = (root / f"v1.{chosen}.0-local" / "_definitions.json").read_bytes()
    definitions: dict[str, Schema] = orjson.loads(data)["$defs"]
    return definitions


class SchemaSet:
    """Definitions for one Kubernetes version, indexed by group/version/kind."""

    def __init__(self, minor: int) -> None:
        self.definitions = _load_definitions(minor)
        self._by_gvk: dict[tuple[str, str, str], str] = {}
        for name, schema in self.definitions.items():
            for gvk in schema.get("x-kubernetes-group-version-kind") or []:
                self._by_gvk.setdefault((gvk.get("group", ""), gvk["version"], gvk["kind"]), name)
        self.custom: dict[tuple[str, str, str], Schema] = {}
        """(group, version, kind) -> the openAPIV3Schema a CRD declares for that version."""

    def definition_name(self, group: str, version: str, kind: str) -> str | None:
        return self._by_gvk.get((group, version, kind))

    def for_kind(self, group: str, version: str, kind: str) -> Schema | None:
        custom = self.custom.get((group, version, kind))
        if custom is not None:
            return custom
        name = self._by_gvk.get((group, version, kind))
        return self.definitions.get(name) if name else None

    def resolve(self, schema: Schema) -> Schema:
        """Follow `$ref` (and single-element allOf wrappers) to the schema itself."""
        seen = 0
        while seen < 16:
            seen += 1
            ref = schema.get("$ref")
            if isinstance(ref, str) and ref.startswith(_REF_PREFIX):
                schema = self.definitions.get(ref[len(_REF_PREFIX):], {})
                continue
            all_of = schema.get("allOf")
            if isinstance(all_of, list) and len(all_of) == 1 and isinstance(all_of[0], dict):
                schema = all_of[0]
                continue
            break
        return schema

    def unknown_fields(self, schema: Schema, value: Any, path: str = "", drop: bool = False) -> list[str]:
        """Dotted paths of fields in `value` that `schema` does not declare (strict decoding errors); with
        `drop` they are also removed from `value`, as decoding into the Go types does."""
        schema = self.resolve(schema)
        found: list[str] = []
        if isinstance(value, dict):
            if schema.get("x-kubernetes-preserve-unknown-fields"):
                return found
            properties = schema.get("properties")
            additional = schema.get("additionalProperties")
            if properties is None and additional is None:
                return found
            for key in list(value):
                child_path = f"{path}.{key}" if path else key
                if properties is not None and key in properties:
                    found.extend(self.unknown_fields(properties[key], value[key], child_path, drop))
                elif isinstance(additional, dict):
                    found.extend(self.unknown_fields(additional, value[key], child_path, drop))
                elif additional is True:
                    continue
                else:
                    found.append(child_path)
                    if drop:
                        del value[key]
        elif isinstance(value, list):
            items = schema.get("items")
            if isinstance(items, dict):
                for index, item in enumerate(value):
                    found.extend(self.unknown_fields(items, item, f"{path}[{index}]", drop))
        return found

    @property
    def object_meta(self) -> Schema:
        return self.definitions.get(OBJECT_META, {})

    def child(self, schema: Schema | None, key: str) -> Schema | None:
        """The schema of field `key` of an object schema, resolved."""
        if schema is None:
            return None
        schema = self.resolve(schema)
        properties = schema.get("properties") or {}
        if key in properties:
            return self.resolve(properties[key])
        additional = schema.get("additionalProperties")
        if isinstance(additional, dict):
            return self.resolve(additional)
        return None

    def items(self, schema: Schema | None) -> Schema | None:
        if schema is None:
            return None
        schema = self.resolve(schema)
        items = schema.get("items")
        return self.resolve(items) if isinstance(items, dict) else None
