"""Watch streams: newline-delimited JSON events over a chunked response that stays open until
`timeoutSeconds` (or the apiserver's randomised default), with bookmarks, resumption from a
resourceVersion, `sendInitialEvents`, 410 Gone as an ERROR event, and Table rows for kubectl."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from typing import Any

import orjson
from aiohttp import web

from kubegenie.sandbox import conversions, printers, status
from kubegenie.sandbox.request import ApiRequest
from kubegenie.sandbox.selectors import parse_field_selector, parse_label_selector
from kubegenie.sandbox.store import Obj, Watcher, WatchEvent

WATCHER = web.RequestKey("watcher", Watcher)
"""The store subscription behind a watch request, so fault injection can end the stream."""
MIN_REQUEST_TIMEOUT = 1800  # kube-apiserver --min-request-timeout; streams end at 1-2x this
BOOKMARK_INTERVAL = 60.0


def _parse_since(value: str | None) -> int | None:
    if value in (None, "", "0"):
        return None
    try:
        return int(value)
    except ValueError as exc:
        raise status.bad_request(f'invalid resource version "{value}"') from exc


def _check_options(query: Any) -> None:
    """validateWatchOptions: sendInitialEvents and resourceVersionMatch go together, and only as NotOlderThan."""
    send_initial = query.get("sendInitialEvents")
    match = query.get("resourceVersionMatch", "")
    causes: list[tuple[str, str, str]] = []
    if send_initial is not None and match != "NotOlderThan":
        causes.append(("FieldValueForbidden", "resourceVersionMatch",
                       "Forbidden: sendInitialEvents requires setting resourceVersionMatch to NotOlderThan"))
    if match and send_initial is None:
        causes.append(("FieldValueForbidden", "resourceVersionMatch",
                       "Forbidden: resourceVersionMatch is forbidden for watch unless sendInitialEvents is provided"))
    if match and match != "NotOlderThan":
        causes.append(("FieldValueNotSupported", "resourceVersionMatch",
                       f'Unsupported value: "{match}": supported values: "NotOlderThan"'))
    if not causes:
        return
    parts = [f"{field}: {message}" for _, field, message in causes]
    summary = parts[0] if len(parts) == 1 else "[" + ", ".join(parts) + "]"
    raise status.ApiError(422, "Invalid", f'ListOptions.meta.k8s.io "" is invalid: {summary}',
                          {"group": "meta.k8s.io", "kind": "ListOptions",
                           "causes": [{"reason": reason, "message": message, "field": field}
                                      for reason, field, message in causes]})


async def watch(req: ApiRequest) -> web.StreamResponse:
    path = req.path
    rtype = path.rtype
    _check_options(req.query)
    labels = parse_label_selector(req.query.get("labelSelector"))
    fields = parse_field_selector(req.query.get("fieldSelector"), rtype.plural)
    if path.name is not None:
        fields = parse_field_selector(f"metadata.name={path.name}" + (
            "," + req.query["fieldSelector"] if req.query.get("fieldSelector") else ""), rtype.plural)
    since = _parse_since(req.query.get("resourceVersion"))
    initial_events = req.flag("sendInitialEvents")
    bookmarks = req.flag("allowWatchBookmarks")
    timeout = req.int_param("timeoutSeconds")
    if timeout is None:
        timeout = int(MIN_REQUEST_TIMEOUT * (1 + random.random()))
    namespace = path.namespace if rtype.namespaced else None
    store = req.cluster.store

    response = web.StreamResponse(status=200, headers={"Content-Type": "application/json",
                                                       "Cache-Control": "no-cache, private"})
    response.enable_chunked_encoding()
    try:
        watcher = store.watch(rtype.storage_key, namespace, None if labels.empty else labels,
                              None if fields.empty else fields, None if initial_events else since)
    except status.ApiError as exc:
        await response.prepare(req.http)
        await response.write(orjson.dumps({"type": "ERROR", "object": exc.status()}) + b"\n")
        await response.write_eof()
        return response
    req.http[WATCHER] = watcher
    table = req.wants_table
    headers_sent = False
    deadline = time.monotonic() + timeout
    try:
        await response.prepare(req.http)  # inside: a client gone before the headers still gives up its watcher
        if initial_events:
            while not watcher.queue.empty():
                item = watcher.queue.get_nowait()
                if item is None:
                    return response
                headers_sent = await _send(req, response, item, table, headers_sent)
            await _send_bookmark(req, response, initial_end=True)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            try:
                item = await asyncio.wait_for(watcher.queue.get(),
                                              min(remaining, BOOKMARK_INTERVAL) if bookmarks else remaining)
            except TimeoutError:
                if bookmarks and time.monotonic() < deadline:
                    await _send_bookmark(req, response)
                continue
            if item is None:
                break
            headers_sent = await _send(req, response, item, table, headers_sent)
    except (ConnectionResetError, asyncio.CancelledError):
        pass
    finally:
        store.unwatch(watcher)
    if response.prepared:
        with contextlib.suppress(ConnectionResetError):
            await response.write_eof()
    return response


async def _send(req: ApiRequest, response: web.StreamResponse, item: WatchEvent, table: bool,
                headers_sent: bool) -> bool:
    rtype = req.path.rtype
    obj = item.obj
    converted = obj.get("apiVersion") != rtype.api_version
    if converted:
        obj = conversions.from_storage(req.cluster, rtype, obj)
    if table:
        table_obj = printers.build_table(req.cluster, rtype, [obj], "Metadata",
                                         obj["metadata"].get("resourceVersion", ""), headers=not headers_sent)
        line = orjson.dumps({"type": item.type, "object": table_obj}) + b"\n"
        headers_sent = True
    elif converted:
        line = orjson.dumps({"type": item.type, "object": obj}) + b"\n"
    else:
        line = item.change.line(item.type)
    await response.write(line)
    return headers_sent


async def _send_bookmark(req: ApiRequest, response: web.StreamResponse, initial_end: bool = False) -> None:
    rtype = req.path.rtype
    metadata: Obj = {"resourceVersion": str(req.cluster.store.resource_version)}
    if initial_end:
        metadata["annotations"] = {"k8s.io/initial-events-end": "true"}
    bookmark = {"type": "BOOKMARK", "object": {"kind": rtype.kind, "apiVersion": rtype.api_version,
                                               "metadata": metadata}}
    await response.write(orjson.dumps(bookmark) + b"\n")
