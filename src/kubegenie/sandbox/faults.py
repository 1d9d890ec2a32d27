"""Fault injection for reliability tests of clients: added latency, forced or random errors per path and
verb, dropped watch streams (now, or every N seconds) and refused connections for a while (the server stops
listening, then listens again on the same port). It wraps requests; it never changes stored objects.

Controlled from `GET|POST|DELETE /sandbox/faults` (JSON body; outside /api and /apis) and from
`kubegenie sandbox up --faults FILE` (the same document in YAML):

    rules:                              # POST adds rules; each gets an id (r1, r2, ...)
    - path: "/api/v1/namespaces/*/pods*"  # glob on the URL path, or "re:<regex>" searched in it
      verbs: [list, watch]              # lowercase: Kubernetes verbs; uppercase: HTTP methods; omitted: all
      latency: 0.2                      # seconds added before answering (plus up to `jitter` more)
      jitter: 0.1
      status: 503                       # answer this error (a Status body) instead of serving
      rate: 0.5                         # share of matching requests that get the error (default 1)
      times: 3                          # only the first N matching requests (default: no limit)
      message: "etcd is unhappy"        # Status message (default: the apiserver's text for the code)
      retryAfter: 1                     # Retry-After header and details.retryAfterSeconds
    watches:
      drop: true                        # POST only: end matching watch streams now
      every: 10                         # and every 10 s from now on (0 stops that)
      path: "/api/v1/pods*"             # which watch requests (default: all)
      mode: close                       # close: end the stream cleanly; reset: abort the connection
    refuse:
      seconds: 5                        # stop listening (and drop open connections) for 5 s
      after: 0                          # starting this many seconds from now
    seed: 7                             # makes `rate` repeatable

`DELETE /sandbox/faults` removes every rule and stops periodic drops; `DELETE /sandbox/faults?id=r1` one rule.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import random
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import orjson
from aiohttp import web

from kubegenie.sandbox import bodies, responses, routing, status
from kubegenie.sandbox.faultplan import FaultConfigError, FaultRule, check, load
from kubegenie.sandbox.handlers.watch import WATCHER

if TYPE_CHECKING:
    from kubegenie.sandbox.server import SandboxServer

__all__ = ["ADMIN_PATH", "FaultConfigError", "FaultInjector", "check", "load"]

ADMIN_PATH = "/sandbox/faults"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_METHOD_VERBS = {"GET": "get", "POST": "create", "PUT": "update", "PATCH": "patch", "DELETE": "delete"}
_DEFAULT_MESSAGES = {
    400: "the server rejected our request for an unknown reason",
    401: "Unauthorized",
    403: "the server does not allow access to the requested resource",
    404: "the server could not find the requested resource",
    409: "the object has been modified; please apply your changes to the latest version and try again",
    429: "Too many requests, please try again later.",
    500: "Internal error occurred: injected fault",
    502: "the server received an invalid response from an upstream server",
    503: "the server is currently unable to handle the request",
    504: "the server was unable to return a response in the time allotted, but may still be processing the "
         "request",
}


class FaultInjector:
    """The faults of one server: rules checked on every request, watch streams it can end, refusals."""

    def __init__(self, server: SandboxServer, seed: int | None = None) -> None:
        self.server = server
        self.rules: list[FaultRule] = []
        self.random = random.Random(seed)
        self._next_id = 1
        self._watches: dict[int, web.Request] = {}
        """Open watch requests by id() (requests are mappings, so not hashable themselves)."""
        self._drop_task: asyncio.Task[None] | None = None
        self._drop_spec: dict[str, Any] | None = None
        self._refuse_task: asyncio.Task[None] | None = None
        self.refusing = False
        self.dropped = 0

    @classmethod
    def install(cls, server: SandboxServer, document: dict[str, Any] | None = None) -> FaultInjector:
        """Wrap the server's requests and serve the admin endpoint; call before the server starts."""
        injector = cls(server)
        if document:
            injector.configure(document)
        server.interceptor = injector.around
        server.extra_routes[ADMIN_PATH] = injector.admin
        server.app.on_cleanup.append(injector._on_cleanup)
        return injector

    # --- configuration -------------------------------------------------------------------------------

    def configure(self, document: dict[str, Any]) -> list[FaultRule]:
        """Apply a fault document; returns the rules it added. Validates everything before changing anything."""
        plan = check(document, self._next_id)
        if plan.seed is not None:
            self.random.seed(plan.seed)
        self._next_id += len(plan.rules)
        self.rules.extend(plan.rules)
        watches = plan.watches
        if watches is not None:
            if watches.get("drop"):
                self.drop_watches(watches.get("path"), watches.get("mode", "close"))
            if "every" in watches:
                self.drop_every(float(watches["every"]), watches.get("path"), watches.get("mode", "close"))
        if plan.refuse is not None:
            self.refuse(float(plan.refuse.get("seconds", 0)), float(plan.refuse.get("after", 0)))
        return plan.rules

    def clear(self, rule_id: str | None = None) -> int:
        """Remove one rule, or every rule and the periodic drops; returns how many rules went."""
        if rule_id is not None:
            before = len(self.rules)
            self.rules = [rule for rule in self.rules if rule.id != rule_id]
            return before - len(self.rules)
        removed = len(self.rules)
        self.rules = []
        self._stop_dropping()
        return removed

    def state(self) -> dict[str, Any]:
        return {"rules": [rule.to_json() for rule in self.rules],
                "watches": {"open": len(self._watches), "dropped": self.dropped,
                            **({"every": self._drop_spec} if self._drop_spec else {})},
                "refusing": self.refusing}

    # --- requests --------------------------------------------------------------------------------------

    async def around(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith("/sandbox/"):
            return await handler(request)
        if self.rules:
            await self._apply_rules(request)
        if not _is_watch(request):
            return await handler(request)
        self._watches[id(request)] = request
        try:
            return await handler(request)
        finally:
            self._watches.pop(id(request), None)

    async def _apply_rules(self, request: web.Request) -> None:
        verb = self._verb(request)
        for rule in list(self.rules):
            if not rule.matches(request.path, request.method, verb):
                continue
            if rule.times is not None and rule.hits >= rule.times:
                continue
            rule.hits += 1
            delay = rule.latency + (self.random.uniform(0, rule.jitter) if rule.jitter else 0.0)
            if delay:
                await asyncio.sleep(delay)
            if rule.status is not None and self.random.random() < rule.rate:
                rule.errors += 1
                raise _error(rule)

    def _verb(self, request: web.Request) -> str:
        """The Kubernetes verb of a request (get, list, watch, create, ...), or the method's usual one."""
        parts = [part for part in request.path.split("/") if part]
        watch = request.query.get("watch", "").lower() in ("true", "1")
        try:
            if len(parts) > 2 and parts[0] == "api":
                return routing.resolve(self.server.cluster.registry, "", parts[1], request.method, parts[2:],
                                       watch).verb
            if len(parts) > 3 and parts[0] == "apis":
                return routing.resolve(self.server.cluster.registry, parts[1], parts[2], request.method, parts[3:],
                                       watch).verb
        except status.ApiError:
            pass
        return _METHOD_VERBS.get(request.method, request.method.lower())

    # --- watch streams ---------------------------------------------------------------------------------

    def drop_watches(self, path: str | None = None, mode: str = "close") -> int:
        """End the open watch streams whose path matches (all when `path` is None); returns how many."""
        regex = re.compile(path[3:]) if path and path.startswith("re:") else None
        dropped = 0
        for key, request in list(self._watches.items()):
            if path is not None and not (regex.search(request.path) if regex is not None
                                         else fnmatch.fnmatchcase(request.path, path)):
                continue
            watcher = request.get(WATCHER)
            if watcher is None:
                continue
            if mode == "reset" and request.transport is not None:
                request.transport.abort()
            self.server.cluster.store.unwatch(watcher)
            watcher.close()
            self._watches.pop(key, None)
            dropped += 1
        self.dropped += dropped
        return dropped

    def drop_every(self, seconds: float, path: str | None = None, mode: str = "close") -> None:
        self._stop_dropping()
        if seconds <= 0:
            return
        self._drop_spec = {"seconds": seconds, "path": path, "mode": mode}
        self._drop_task = asyncio.get_running_loop().create_task(self._drop_loop(seconds, path, mode))

    async def _drop_loop(self, seconds: float, path: str | None, mode: str) -> None:
        while True:
            await asyncio.sleep(seconds)
            self.drop_watches(path, mode)

    def _stop_dropping(self) -> None:
        if self._drop_task is not None:
            self._drop_task.cancel()
        self._drop_task = None
        self._drop_spec = None

    # --- refused connections -----------------------------------------------------------------------

    def refuse(self, seconds: float, after: float = 0.0) -> None:
        """Stop listening for `seconds` (after `after` seconds), then listen again on the same port."""
        if self._refuse_task is not None and not self._refuse_task.done():
            self._refuse_task.cancel()
        self._refuse_task = asyncio.get_running_loop().create_task(self._refuse(seconds, after))

    async def _refuse(self, seconds: float, after: float) -> None:
        if after:
            await asyncio.sleep(after)
        self.refusing = True
        try:
            await self.server.stop_listening()
            self._watches.clear()
            await asyncio.sleep(seconds)
        finally:
            self.refusing = False
            with contextlib.suppress(OSError):
                await self.server.resume_listening()

    async def _on_cleanup(self, app: web.Application) -> None:
        del app
        self._stop_dropping()
        if self._refuse_task is not None:
            self._refuse_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._refuse_task

    # --- the admin endpoint ----------------------------------------------------------------------------

    async def admin(self, request: web.Request) -> web.StreamResponse:
        if request.method == "GET":
            return responses.json_response(self.state())
        if request.method == "DELETE":
            rule_id = request.query.get("id")
            removed = self.clear(rule_id)
            if rule_id is not None and not removed:
                raise status.ApiError(404, "NotFound", f'fault rule "{rule_id}" not found', {"name": rule_id})
            return responses.json_response(self.state())
        if request.method != "POST":
            raise status.method_not_allowed()
        raw = await request.read()
        if len(raw) > bodies.MAX_BODY_BYTES:
            raise bodies.too_large(len(raw))
        try:
            document = orjson.loads(raw) if raw.strip() else {}
        except orjson.JSONDecodeError as exc:
            raise status.bad_request(f"the fault document is not JSON: {exc}") from exc
        if not isinstance(document, dict):
            raise status.bad_request("the fault document must be a JSON object with rules, watches or refuse")
        try:
            added = self.configure(document)
        except FaultConfigError as exc:
            raise status.bad_request(str(exc)) from exc
        return responses.json_response({**self.state(), "added": [rule.id for rule in added]})


def _is_watch(request: web.Request) -> bool:
    if request.method != "GET":
        return False
    return request.query.get("watch", "").lower() in ("true", "1") or "/watch/" in request.path


def _error(rule: FaultRule) -> status.ApiError:
    code = rule.status or 500
    reason = status.REASON_PHRASES.get(code, "InternalError" if code >= 500 else "BadRequest")
    retry_after = rule.retry_after
    if retry_after is None and code == 429:
        retry_after = 1  # the apiserver's max-in-flight filter always says when to come back
    details: dict[str, Any] = {}
    if retry_after is not None:
        details["retryAfterSeconds"] = retry_after
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
    return status.ApiError(code, reason, rule.message or _DEFAULT_MESSAGES.get(code, "injected fault"),
                           details or None, headers)
