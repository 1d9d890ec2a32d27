"""The sandbox's HTTP(S) front: authentication, impersonation, authorization, routing of every
Kubernetes API path to its handler, and errors as Status bodies. One server serves one cluster.
"""

from __future__ import annotations

import csv
import logging
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import orjson
from aiohttp import web

from kubegenie.sandbox import discovery, handlers, openapi, openapiv2, responses, routing, status
from kubegenie.sandbox.authorization import Attributes
from kubegenie.sandbox.cluster import Cluster
from kubegenie.sandbox.handlers import binding, componentstatus, crud, eviction, logs, metrics, reviews, scale
from kubegenie.sandbox.handlers import watch as watch_handler
from kubegenie.sandbox.identity import (
    ADMIN,
    ANONYMOUS_USER,
    AUTHENTICATED,
    UNAUTHENTICATED,
    Identity,
    TokenAuthenticator,
    service_account_groups,
    service_account_name,
    with_authenticated,
)
from kubegenie.sandbox.request import ApiRequest

log = logging.getLogger(__name__)
# Subresource and virtual-type handlers register themselves when their modules are imported.
_REGISTERED = (binding, componentstatus, eviction, logs, metrics, reviews, scale)

_CRUD = {"get": crud.get, "list": crud.list_objects, "create": crud.create, "update": crud.update,
         "patch": crud.patch, "delete": crud.delete, "deletecollection": crud.delete_collection,
         "watch": watch_handler.watch}
AUTH_V1 = "authentication.k8s.io/v1"


def _go_reference(kind: str, name: str, api_version: str = "", field_path: str = "") -> str:
    """A v1.ObjectReference as Go's %v prints it, for the apiserver's impersonation error."""
    return "{" + " ".join((kind, "", name, "", api_version, "", field_path)) + "}"


_NON_RESOURCE_PATHS = ("/version", "/healthz", "/livez", "/readyz", "/openapi", "/metrics")


@dataclass
class TokenUser:
    user: str
    groups: tuple[str, ...] = ()
    uid: str = ""


@dataclass
class ServerOptions:
    host: str = "127.0.0.1"
    port: int = 0
    tls: bool = False
    tokens: dict[str, TokenUser] = field(default_factory=dict)
    """Bearer token -> user (from a tokens file); requests without credentials act as cluster-admin."""


def load_tokens(path: Path) -> dict[str, TokenUser]:
    """Read a kube-apiserver static token file: `token,user,uid,"group1,group2"` per line."""
    tokens: dict[str, TokenUser] = {}
    with path.open(newline="") as handle:
        for row in csv.reader(handle):
            if not row or row[0].startswith("#"):
                continue
            if len(row) < 2:
                raise ValueError(f"{path}: each line needs at least a token and a user name")
            groups = tuple(g.strip() for g in row[3].split(",") if g.strip()) if len(row) > 3 else ()
            tokens[row[0].strip()] = TokenUser(row[1].strip(), groups, row[2].strip() if len(row) > 2 else "")
    return tokens


Interceptor = Callable[[web.Request, Callable[[web.Request], Awaitable[web.StreamResponse]]],
                      Awaitable[web.StreamResponse]]


class SandboxServer:
    """Serves one Cluster over HTTP or HTTPS on a loopback address."""

    def __init__(self, cluster: Cluster, options: ServerOptions | None = None) -> None:
        self.cluster = cluster
        self.options = options or ServerOptions()
        self.authorizer = cluster.authorizer
        self.tokens = TokenAuthenticator(cluster, {
            token: Identity(user.user, with_authenticated(user.groups), user.uid)
            for token, user in self.options.tokens.items()})
        self.openapi = openapi.OpenAPIDocuments(cluster)
        self.openapi_v2 = openapiv2.OpenAPIV2(cluster)
        self.app = web.Application(client_max_size=8 * 1024 * 1024)
        self.app[reviews.TOKEN_AUTHENTICATOR] = self.tokens
        self.app.router.add_route("*", "/{tail:.*}", self.dispatch)
        self.app.on_response_prepare.append(self._date_header)
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.port = 0
        self.extra_routes: dict[str, Any] = {}
        """Path -> handler for routes outside the Kubernetes API (metrics, admin), added by other modules."""
        self.interceptor: Interceptor | None = None
        """Wraps every request when set (fault injection: latency, forced errors, tracked watches)."""
        self._ssl_context: ssl.SSLContext | None = None

    async def _date_header(self, request: web.Request, response: web.StreamResponse) -> None:
        """The Date header tells the cluster's time, which runs ahead of the wall clock when sped up."""
        del request
        response.headers["Date"] = format_datetime(self.cluster.clock.now(), usegmt=True)

    @property
    def scheme(self) -> str:
        return "https" if self.options.tls else "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.options.host}:{self.port}"

    async def start(self) -> str:
        ssl_context: ssl.SSLContext | None = None
        if self.options.tls:
            ssl_context = self.cluster.ca.server_context([self.options.host, "localhost", "127.0.0.1"])
        self._runner = web.AppRunner(self.app, access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        self._ssl_context = ssl_context
        self._site = web.TCPSite(self._runner, self.options.host, self.options.port, ssl_context=ssl_context,
                                 backlog=2048, reuse_address=True)
        await self._site.start()
        server = self._site._server
        assert server is not None
        self.port = server.sockets[0].getsockname()[1]  # type: ignore[attr-defined]
        return self.url

    async def stop(self) -> None:
        self.cluster.store.close_watchers()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # --- identity ------------------------------------------------------------------------------------

    def authenticate(self, request: web.Request) -> Identity:
        """Client certificates signed by the cluster CA (CN user, O groups), then bearer tokens (the static
        token file, then service account tokens); a request without credentials acts as cluster-admin."""
        peer = request.transport.get_extra_info("peercert") if request.transport else None
        if peer:
            subject = [pair for rdn in peer.get("subject", ()) for pair in rdn]
            common_name = next((value for key, value in subject if key == "commonName"), "")
            if common_name:
                return Identity(common_name, with_authenticated([v for k, v in subject if k == "organizationName"]))
        header = request.headers.get("Authorization", "")
        if header[:7].lower() == "bearer ":
            found = self.tokens.authenticate(header[7:].strip())
            if found is None:
                raise status.unauthorized()
            return found[0]
        return ADMIN

    def impersonate(self, request: web.Request, identity: Identity) -> Identity:
        """Impersonate-User/-Group/-Uid/-Extra-*: each requires the `impersonate` verb on what it names
        (filters.WithImpersonation); the impersonated user then replaces the authenticated one."""
        user = request.headers.get("Impersonate-User", "")
        groups = request.headers.getall("Impersonate-Group", [])
        uid = request.headers.get("Impersonate-Uid", "")
        extra: dict[str, list[str]] = {}
        for key, value in request.headers.items():
            if key.lower().startswith("impersonate-extra-"):
                extra.setdefault(unquote(key[len("impersonate-extra-"):]).lower(), []).append(value)
        if not user:
            if groups or uid or extra:
                requested = [_go_reference("Group", g) for g in groups]
                requested += [_go_reference("UserExtra", v, AUTH_V1, k) for k, vs in extra.items() for v in vs]
                requested += [_go_reference("UID", uid, AUTH_V1)] if uid else []
                raise status.internal(f"requested [{' '.join(requested)}] without impersonating a user")
            return identity
        account = service_account_name(user)
        if account is not None:
            checks = [Attributes("impersonate", resource="serviceaccounts", namespace=account[0], name=account[1])]
        else:
            checks = [Attributes("impersonate", resource="users", name=user)]
        checks += [Attributes("impersonate", resource="groups", name=group) for group in groups]
        checks += [Attributes("impersonate", "authentication.k8s.io", resource="userextras", subresource=key,
                              name=value) for key, values in extra.items() for value in values]
        if uid:
            checks.append(Attributes("impersonate", "authentication.k8s.io", resource="uids", name=uid))
        for attrs in checks:
            self.authorizer.check(identity, attrs)
        names = list(groups) or (list(service_account_groups(account[0])) if account else [])
        if user == ANONYMOUS_USER:
            names += [] if UNAUTHENTICATED in names else [UNAUTHENTICATED]
        elif AUTHENTICATED not in names and UNAUTHENTICATED not in names:
            names.append(AUTHENTICATED)
        return Identity(user, tuple(names), uid, {key: tuple(values) for key, values in extra.items()})

    # --- dispatch ------------------------------------------------------------------------------------

    async def stop_listening(self) -> None:
        """Close the listening socket and every open connection, as an apiserver that went away would."""
        if self._site is not None:
            await self._site.stop()
            self._site = None
        if self._runner is not None and self._runner.server is not None:
            for connection in list(self._runner.server.connections):
                connection.force_close()
        self.cluster.store.close_watchers()

    async def resume_listening(self) -> None:
        """Listen again on the same port after `stop_listening`."""
        if self._runner is None or self._site is not None:
            return
        self._site = web.TCPSite(self._runner, self.options.host, self.port, ssl_context=self._ssl_context,
                                 backlog=2048, reuse_address=True)
        await self._site.start()

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        try:
            if self.interceptor is not None:
                return await self.interceptor(request, self._dispatch)
            return await self._dispatch(request)
        except status.ApiError as exc:
            return responses.json_response(exc.status(), exc.code, headers=exc.headers)
        except web.HTTPException:
            raise
        except ConnectionResetError:
            raise
        except Exception as exc:  # The apiserver answers 500 with a Status; the traceback goes to the log.
            log.exception("internal error serving %s %s", request.method, request.path)
            error = status.internal(f"{type(exc).__name__}: {exc}")
            return responses.json_response(error.status(), 500)

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        extra = self.extra_routes.get(path)
        if extra is not None:
            result: web.StreamResponse = await extra(request)
            return result
        identity = self.impersonate(request, self.authenticate(request))
        parts = [part for part in path.split("/") if part != ""] if path != "/" else []
        if path.startswith("/api/") or path == "/api":
            return await self._api(request, identity, "", parts[1:])
        if path.startswith("/apis/") or path == "/apis":
            return await self._apis(request, identity, parts[1:])
        if path.startswith(_NON_RESOURCE_PATHS):
            self.authorizer.check(identity, Attributes("get", path=path))
            return await self._non_resource(request, path)
        if path == "/":
            return responses.json_response({"paths": ["/api", "/api/v1", "/apis", "/healthz", "/livez",
                                                      "/openapi/v2", "/openapi/v3", "/readyz", "/version"]})
        raise status.not_found_path()

    async def _non_resource(self, request: web.Request, path: str) -> web.StreamResponse:
        if path in ("/version", "/version/"):
            return responses.json_response(self.cluster.version.to_json())
        if path.startswith(("/healthz", "/livez", "/readyz")):
            return web.Response(text="ok", content_type="text/plain")
        if path == "/openapi/v2":
            body, content_type = self.openapi_v2.encoded(request.headers.get("Accept", ""))
            return web.Response(body=body, headers={"Content-Type": content_type,
                                                    "Etag": f'"{self.openapi_v2.etag}"'})
        if path == "/openapi/v3":
            return responses.json_response(self.openapi.index())
        if path.startswith("/openapi/v3/"):
            found = self.openapi.document(path[len("/openapi/v3/"):])
            if found is None:
                raise status.not_found_path()
            document, digest = found
            cache = "public, immutable" if request.query.get("hash") == digest else "no-cache, private"
            return web.Response(body=document, headers={"Content-Type": "application/json",
                                                        "Cache-Control": cache, "Etag": f'"{digest}"'})
        raise status.not_found_path()

    def _discovery_response(self, request: web.Request, legacy_core: bool, legacy_body: Any) -> web.Response:
        version = discovery.aggregated_version(request.headers.get("Accept", ""))
        if version is None:
            return responses.json_response(legacy_body)
        body = discovery.aggregated(self.cluster, legacy_core, version)
        content_type = discovery.AGGREGATED_V2 if version == "v2" else discovery.AGGREGATED_V2BETA1
        return web.Response(body=orjson.dumps(body), headers={"Content-Type": content_type})

    async def _api(self, request: web.Request, identity: Identity, group: str,
                   parts: list[str]) -> web.StreamResponse:
        if not parts:
            self.authorizer.check(identity, Attributes("get", path="/api"))
            return self._discovery_response(request, True, discovery.api_versions(
                f"{self.options.host}:{self.port}"))
        version, rest = parts[0], parts[1:]
        return await self._group_version(request, identity, group, version, rest)

    async def _apis(self, request: web.Request, identity: Identity, parts: list[str]) -> web.StreamResponse:
        if not parts:
            self.authorizer.check(identity, Attributes("get", path="/apis"))
            return self._discovery_response(request, False, discovery.api_group_list(self.cluster))
        group = parts[0]
        if len(parts) == 1:
            self.authorizer.check(identity, Attributes("get", path=request.path))
            body = discovery.api_group(self.cluster, group)
            if body is None:
                raise status.not_found_path()
            return responses.json_response(body)
        return await self._group_version(request, identity, group, parts[1], parts[2:])

    async def _group_version(self, request: web.Request, identity: Identity, group: str, version: str,
                             rest: list[str]) -> web.StreamResponse:
        if not rest:
            self.authorizer.check(identity, Attributes("get", path=request.path))
            if request.method != "GET":
                raise status.method_not_allowed()
            body = discovery.resource_list(self.cluster, group, version)
            if body is None:
                raise status.not_found_path()
            return responses.json_response(body)
        watch = request.query.get("watch", "").lower() in ("true", "1")
        path = routing.resolve(self.cluster.registry, group, version, request.method, rest, watch)
        attrs = Attributes(path.verb, group, version, path.rtype.plural, path.subresource or "",
                           path.namespace or "", path.name or "")
        self.authorizer.check(identity, attrs)
        api_request = ApiRequest(request, self.cluster, path, identity)
        rtype = path.rtype
        api_request.warnings.extend(self.cluster.crds.warnings(rtype))
        if not rtype.stored:
            virtual = handlers.VIRTUAL.get((rtype.group, rtype.plural))
            if virtual is None:
                raise status.method_not_allowed()
            return await virtual(api_request)
        if path.subresource and path.subresource != "status":
            handler = handlers.SUBRESOURCES.get((rtype.storage_key, path.subresource))
            if handler is None:
                raise status.method_not_allowed()
            return await handler(api_request)
        return await _CRUD[path.verb](api_request)
