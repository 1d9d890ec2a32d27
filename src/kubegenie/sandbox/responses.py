"""HTTP responses in the apiserver's shapes: JSON objects, lists built from cached encodings, Tables,
and `Warning` headers."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from kubegenie.sandbox.resources import ResourceType


def _warning_headers(warnings: list[str] | None) -> list[tuple[str, str]]:
    # The text is an RFC 7234 quoted-string: clients drop warnings whose inner quotes are not escaped.
    escaped = (text.replace("\\", "\\\\").replace('"', '\\"') for text in warnings or [])
    return [("Warning", f'299 - "{text}"') for text in escaped]


def json_response(data: Any, code: int = 200, warnings: list[str] | None = None,
                  headers: dict[str, str] | None = None) -> web.Response:
    response = web.Response(body=orjson.dumps(data), status=code, content_type="application/json")
    for key, value in _warning_headers(warnings):
        response.headers.add(key, value)
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def raw_json_response(body: bytes, code: int = 200, warnings: list[str] | None = None) -> web.Response:
    response = web.Response(body=body, status=code, content_type="application/json")
    for key, value in _warning_headers(warnings):
        response.headers.add(key, value)
    return response


def list_body(rtype: ResourceType, encoded_items: list[bytes], resource_version: str, continue_token: str,
              remaining: int | None) -> bytes:
    """A `<Kind>List` assembled from already-encoded items (no re-serialisation of large lists)."""
    metadata: dict[str, Any] = {"resourceVersion": resource_version}
    if continue_token:
        metadata["continue"] = continue_token
    if remaining is not None:
        metadata["remainingItemCount"] = remaining
    head = orjson.dumps({"kind": rtype.list_kind, "apiVersion": rtype.api_version, "metadata": metadata})
    return head[:-1] + b',"items":[' + b",".join(encoded_items) + b"]}"
