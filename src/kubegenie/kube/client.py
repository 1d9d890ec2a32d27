"""Async access to one cluster's API with plain JSON data: get, list (all pages), watch streams, writes,
logs and access reviews, each request carrying the caller's identity as impersonation headers.

Typed client models are avoided on purpose: decoding 10,000 pods into them takes ten times longer
than `json.loads`, and agents read plain data anyway.
"""

from __future__ import annotations

import gc
import time
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import aiohttp
import orjson
from multidict import CIMultiDict

from kubegenie.kube.connection import Connection
from kubegenie.kube.errors import RequestInfo, connection_error, status_error
from kubegenie.kube.identity import UserIdentity

Obj = dict[str, Any]


@dataclass(frozen=True)
class ResourcePath:
    """Where a kind lives in the API."""

    group: str
    version: str
    plural: str
    namespaced: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    def url(self, namespace: str | None = None, name: str | None = None, subresource: str | None = None) -> str:
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{quote(namespace, safe='')}"
        base += f"/{self.plural}"
        if name is not None:
            base += f"/{quote(name, safe='')}"
        if subresource:
            base += f"/{subresource}"
        return base


LARGE_BODY = 256 * 1024


def decode_json(raw: bytes) -> Any:
    """Parse a response body. A large one (a page of a list) is parsed with the cyclic garbage collector paused:
    parsing allocates only acyclic dicts and lists, and collections triggered by the tens of thousands of new
    objects would otherwise traverse the whole cache again and again, doubling the time."""
    if len(raw) < LARGE_BODY or not gc.isenabled():
        return orjson.loads(raw)
    gc.disable()
    try:
        return orjson.loads(raw)
    finally:
        gc.enable()


class ServerClock:
    """The API server's clock as its Date headers show it: usually ours, maybe shifted, and faster in a
    sped-up sandbox. Dates have one-second resolution, so only clear differences count."""

    MIN_SPAN = 10.0

    def __init__(self) -> None:
        self._first: tuple[float, float] | None = None
        self._last: tuple[float, float] | None = None
        self.rate = 1.0
        self.offset = 0.0

    def note(self, server: float, local: float) -> None:
        if self._first is None or server < self._first[1]:
            self._first = (local, server)  # first sample, or the server's clock went back (a restart)
        self._last = (local, server)
        span = local - self._first[0]
        if span >= self.MIN_SPAN:
            rate = (server - self._first[1]) / span
            self.rate = rate if abs(rate - 1) > 0.05 else 1.0
        offset = server - local
        self.offset = offset if abs(offset) > 2 else 0.0

    def now(self) -> float:
        local = time.time()
        if self._last is None:
            return local
        if self.rate == 1.0:
            return local + self.offset
        return self._last[1] + self.rate * (local - self._last[0])


@dataclass(frozen=True)
class AccessDecision:
    allowed: bool
    reason: str = ""


class ClusterClient:
    """Requests to one cluster; every failure is a `kubegenie.errors` type with a remediation."""

    def __init__(self, connection: Connection, request_timeout: float = 10.0,
                 identity: UserIdentity | None = None) -> None:
        self.connection = connection
        self.request_timeout = request_timeout
        self.default_identity = identity
        self.last_latency_ms: float | None = None
        self.server_clock = ServerClock()

    @property
    def context(self) -> str:
        return self.connection.context

    @property
    def server(self) -> str:
        return self.connection.credentials.server

    def _headers(self, identity: UserIdentity | None, extra: Mapping[str, str] | None = None) -> CIMultiDict[str]:
        headers: CIMultiDict[str] = CIMultiDict(self.connection.credentials.headers)
        headers["Accept"] = "application/json"
        headers["User-Agent"] = "kubegenie"
        who = identity or self.default_identity
        if who is not None:
            for key, value in who.headers():
                headers.add(key, value)
        for key, value in (extra or {}).items():
            headers[key] = value
        return headers

    def _note_server_clock(self, date: str | None) -> None:
        if not date:
            return
        try:
            server = parsedate_to_datetime(date).timestamp()
        except (TypeError, ValueError):
            return
        self.server_clock.note(server, time.time())

    def server_now(self) -> float:
        """The API server's current time, for ages and "since" windows computed the way it would."""
        return self.server_clock.now()

    def _info(self, method: str, path: str, verb: str = "", resource: str = "",
              namespace: str | None = None) -> RequestInfo:
        return RequestInfo(self.context, self.connection.source, self.server, method, path, verb, resource, namespace)

    async def _send(self, method: str, path: str, info: RequestInfo, *, params: Mapping[str, str] | None = None,
                    body: bytes | None = None, content_type: str = "application/json",
                    identity: UserIdentity | None = None, timeout: float | None = None,
                    stream: bool = False, accept: str | None = None) -> aiohttp.ClientResponse:
        """Send one request, refreshing credentials once on 401; raise translated errors."""
        extra = {"Content-Type": content_type} if body is not None else {}
        if accept:
            extra["Accept"] = accept
        for attempt in range(2):
            headers = self._headers(identity, extra)
            started = time.perf_counter()
            try:
                response = await self.connection.session.request(
                    method, self.server + path, params=params, data=body, headers=headers,
                    server_hostname=self.connection.credentials.tls_server_name,
                    timeout=aiohttp.ClientTimeout(total=None if stream else (timeout or self.request_timeout),
                                                  sock_connect=self.connection._connect_timeout,
                                                  sock_read=None if stream else (timeout or self.request_timeout)))
            except (TimeoutError, aiohttp.ClientError, OSError) as exc:
                raise connection_error(info, exc) from exc
            self.last_latency_ms = (time.perf_counter() - started) * 1000
            self._note_server_clock(response.headers.get("Date"))
            if response.status == 401 and attempt == 0:
                response.release()
                await self.connection.refresh()
                continue
            if response.status >= 400:
                raw = await response.read()
                response.release()
                try:
                    parsed: Any = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    parsed = raw.decode("utf-8", "replace")
                raise status_error(info, response.status, parsed, response.headers.get("Retry-After"))
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    async def request_json(self, method: str, path: str, *, params: Mapping[str, str] | None = None,
                           body: Any = None, content_type: str = "application/json",
                           identity: UserIdentity | None = None, verb: str = "", resource: str = "",
                           namespace: str | None = None, timeout: float | None = None,
                           accept: str | None = None) -> Any:
        info = self._info(method, path, verb, resource, namespace)
        data = None if body is None else body if isinstance(body, bytes) else orjson.dumps(body)
        response = await self._send(method, path, info, params=params, body=data, content_type=content_type,
                                    identity=identity, timeout=timeout, accept=accept)
        try:
            raw = await response.read()
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise connection_error(info, exc) from exc
        finally:
            response.release()
        if not raw:
            return None
        try:
            return decode_json(raw)
        except orjson.JSONDecodeError:
            return raw.decode("utf-8", "replace")

    async def request_text(self, path: str, *, params: Mapping[str, str] | None = None,
                           identity: UserIdentity | None = None, verb: str = "get", resource: str = "",
                           namespace: str | None = None) -> str:
        info = self._info("GET", path, verb, resource, namespace)
        response = await self._send("GET", path, info, params=params, identity=identity)
        try:
            return await response.text()
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise connection_error(info, exc) from exc
        finally:
            response.release()

    # --- objects -------------------------------------------------------------------------------------

    async def get(self, resource: ResourcePath, name: str, namespace: str | None = None, *,
                  subresource: str | None = None, identity: UserIdentity | None = None) -> Obj:
        path = resource.url(namespace, name, subresource)
        result: Obj = await self.request_json("GET", path, identity=identity, verb="get",
                                              resource=resource.plural, namespace=namespace)
        return result

    async def list(self, resource: ResourcePath, namespace: str | None = None, *, label_selector: str | None = None,
                   field_selector: str | None = None, page_size: int = 500,
                   identity: UserIdentity | None = None) -> tuple[list[Obj], str]:
        """Every matching object (following continue tokens) and the list's resourceVersion. Each item carries
        `kind` and `apiVersion`, filled in from the list where the server leaves them out (it does for built-in
        kinds), so listed objects look like those a get or a watch returns."""
        params: dict[str, str] = {"limit": str(page_size)}
        if label_selector:
            params["labelSelector"] = label_selector
        if field_selector:
            params["fieldSelector"] = field_selector
        items: list[Obj] = []
        resource_version = ""
        path = resource.url(namespace)
        while True:
            page: Obj = await self.request_json("GET", path, params=params, identity=identity, verb="list",
                                                resource=resource.plural, namespace=namespace)
            page_items: list[Obj] = page.get("items") or []
            list_kind = str(page.get("kind") or "")
            if list_kind.endswith("List"):
                type_meta = {"apiVersion": str(page.get("apiVersion") or resource.api_version), "kind": list_kind[:-4]}
                for item in page_items:
                    if "kind" not in item:
                        item.update(type_meta)
            items.extend(page_items)
            metadata = page.get("metadata") or {}
            resource_version = resource_version or str(metadata.get("resourceVersion", ""))
            token = metadata.get("continue")
            if not token:
                return items, resource_version
            params["continue"] = str(token)

    async def watch(self, resource: ResourcePath, resource_version: str, namespace: str | None = None, *,
                    timeout_seconds: int = 300, identity: UserIdentity | None = None,
                    on_open: Callable[[], None] | None = None) -> AsyncIterator[Obj]:
        """Watch events after `resource_version` until the server ends the stream; `on_open` is called once
        the server has accepted the watch."""
        params = {"watch": "true", "resourceVersion": resource_version, "allowWatchBookmarks": "true",
                  "timeoutSeconds": str(timeout_seconds)}
        path = resource.url(namespace)
        info = self._info("GET", path, "watch", resource.plural, namespace)
        response = await self._send("GET", path, info, params=params, identity=identity, stream=True)
        if on_open is not None:
            on_open()
        try:
            buffer = b""
            async for chunk in response.content.iter_any():
                buffer += chunk
                while b"\n" in buffer:
                    line, buffer = buffer.split(b"\n", 1)
                    if line.strip():
                        yield orjson.loads(line)
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise connection_error(info, exc) from exc
        finally:
            response.release()

    async def create(self, resource: ResourcePath, body: Obj, namespace: str | None = None, *,
                     dry_run: bool = False, identity: UserIdentity | None = None) -> Obj:
        params = {"fieldManager": "kubegenie"} | ({"dryRun": "All"} if dry_run else {})
        result: Obj = await self.request_json("POST", resource.url(namespace), params=params, body=body,
                                              identity=identity, verb="create", resource=resource.plural,
                                              namespace=namespace)
        return result

    async def patch(self, resource: ResourcePath, name: str, patch: Any, namespace: str | None = None, *,
                    patch_type: str = "application/merge-patch+json", subresource: str | None = None,
                    dry_run: bool = False, identity: UserIdentity | None = None) -> Obj:
        params = {"fieldManager": "kubegenie"} | ({"dryRun": "All"} if dry_run else {})
        verb_resource = f"{resource.plural}/{subresource}" if subresource else resource.plural
        result: Obj = await self.request_json("PATCH", resource.url(namespace, name, subresource), params=params,
                                              body=patch, content_type=patch_type, identity=identity,
                                              verb="patch", resource=verb_resource, namespace=namespace)
        return result

    async def delete(self, resource: ResourcePath, name: str, namespace: str | None = None, *,
                     propagation: str = "Background", dry_run: bool = False,
                     identity: UserIdentity | None = None) -> Any:
        body: Obj = {"kind": "DeleteOptions", "apiVersion": "v1", "propagationPolicy": propagation}
        if dry_run:
            body["dryRun"] = ["All"]
        return await self.request_json("DELETE", resource.url(namespace, name), body=body, identity=identity,
                                       verb="delete", resource=resource.plural, namespace=namespace)

    async def logs(self, pod: str, namespace: str, *, container: str | None = None, tail_lines: int | None = None,
                   previous: bool = False, since_seconds: int | None = None,
                   identity: UserIdentity | None = None) -> str:
        params: dict[str, str] = {}
        if container:
            params["container"] = container
        if tail_lines is not None:
            params["tailLines"] = str(tail_lines)
        if previous:
            params["previous"] = "true"
        if since_seconds is not None:
            params["sinceSeconds"] = str(since_seconds)
        path = ResourcePath("", "v1", "pods").url(namespace, pod, "log")
        return await self.request_text(path, params=params, identity=identity, resource="pods/log",
                                       namespace=namespace)

    # --- cluster-wide --------------------------------------------------------------------------------

    async def version(self) -> Obj:
        result: Obj = await self.request_json("GET", "/version", verb="get", resource="/version")
        return result

    async def can_i(self, verb: str, resource: str, namespace: str | None = None, *, group: str = "",
                    subresource: str = "", name: str = "", identity: UserIdentity | None = None) -> AccessDecision:
        """Ask the cluster (SelfSubjectAccessReview) whether the identity may do this."""
        attributes: Obj = {"verb": verb, "resource": resource, "group": group}
        if namespace:
            attributes["namespace"] = namespace
        if subresource:
            attributes["subresource"] = subresource
        if name:
            attributes["name"] = name
        body = {"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                "spec": {"resourceAttributes": attributes}}
        review: Obj = await self.request_json("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
                                              body=body, identity=identity, verb="create",
                                              resource="selfsubjectaccessreviews")
        review_status = review.get("status") or {}
        return AccessDecision(bool(review_status.get("allowed")), str(review_status.get("reason", "")))

    async def close(self) -> None:
        await self.connection.close()

