"""Request bodies: size limit, content types, and decoding of JSON, YAML and (kubectl 1.32+) protobuf.

Malformed input is a 400 Status with the apiserver's wording; an unknown content type is a 415.
"""

from __future__ import annotations

from typing import Any

import orjson
import yaml

from kubegenie.sandbox import protobuf, status

MAX_BODY_BYTES = 3 * 1024 * 1024  # kube-apiserver's --max-request-bytes default for writes
MAX_NESTING = 200
"""Deepest object nesting stored. Real objects stay far below it (a deep CRD schema reaches about 80 levels);
it leaves room for the lists, watch events and tables that wrap an object within the JSON encoder's limit."""
_ENCODER_NESTING = 254
"""The deepest nesting orjson encodes."""

JSON = "application/json"
YAML = "application/yaml"
PROTOBUF = "application/vnd.kubernetes.protobuf"
MERGE_PATCH = "application/merge-patch+json"
JSON_PATCH = "application/json-patch+json"
STRATEGIC_PATCH = "application/strategic-merge-patch+json"
APPLY_PATCH = "application/apply-patch+yaml"
APPLY_PATCH_CBOR = "application/apply-patch+cbor"

WRITE_TYPES = [JSON, YAML, PROTOBUF]
PATCH_TYPES = [JSON_PATCH, MERGE_PATCH, STRATEGIC_PATCH, APPLY_PATCH]


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def too_large(size: int) -> status.ApiError:
    return status.ApiError(413, "RequestEntityTooLarge",
                           f"Request entity too large: limit is {MAX_BODY_BYTES}" if size else "too large")


def _decode_error(kind: str, exc: Exception) -> status.ApiError:
    return status.bad_request(f"error decoding {kind}: {exc}")


def parse_json(raw: bytes) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise status.bad_request(f"couldn't get version/kind; json parse error: {exc}") from exc


def parse_yaml(raw: bytes) -> Any:
    try:
        return yaml.safe_load(raw.decode("utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise status.bad_request(f"error converting YAML to JSON: {exc}") from exc
    except RecursionError as exc:
        raise _too_deep() from exc


def parse_patch(raw: bytes, apply: bool) -> Any:
    """A patch document: YAML for server-side apply, JSON otherwise; no deeper than MAX_NESTING."""
    document = parse_yaml(raw) if apply else parse_json(raw)
    check_nesting(document)
    return document


def check_nesting(data: Any) -> None:
    """400 for an object nested deeper than MAX_NESTING levels (a runaway structure in a manifest or patch)."""
    _encode_within_nesting(data)


def checked_copy(data: Any) -> Any:
    """A deep copy of JSON data, after the same check: one encoding does both."""
    return orjson.loads(_encode_within_nesting(data))


def _encode_within_nesting(data: Any) -> bytes:
    """The data's JSON. The encoder, which stops at its own limit, measures the nesting: wrapped in the levels
    above MAX_NESTING, the data encodes only if it is no deeper (a few microseconds for a pod)."""
    margin = _ENCODER_NESTING - MAX_NESTING
    wrapped = data
    for _ in range(margin):
        wrapped = [wrapped]
    try:
        encoded = orjson.dumps(wrapped)
    except TypeError as exc:
        if "Recursion limit" not in str(exc):
            raise
        raise _too_deep() from exc
    return encoded[margin:-margin]


def _too_deep() -> status.ApiError:
    return status.bad_request(f"the object is nested more than {MAX_NESTING} levels deep; Kubernetes objects "
                              "nest far less: look for a runaway structure in the manifest or patch")


def decode_object(raw: bytes, content_type: str | None) -> dict[str, Any]:
    """The body of a create or update as a JSON object."""
    kind = media_type(content_type) or JSON
    if len(raw) > MAX_BODY_BYTES:
        raise too_large(len(raw))
    if kind == JSON:
        data = parse_json(raw)
    elif kind in (YAML, "application/x-yaml", "text/yaml"):
        data = parse_yaml(raw)
    elif kind == PROTOBUF:
        data = protobuf.decode(raw)
    else:
        raise status.unsupported_media_type(WRITE_TYPES)
    if not isinstance(data, dict):
        raise status.bad_request("Object 'Kind' is missing in '" + raw[:200].decode("utf-8", "replace") + "'")
    return data
