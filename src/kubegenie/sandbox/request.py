"""One API request as handlers see it: cluster, resolved path, identity, query options, body, warnings."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from kubegenie.sandbox import bodies, status
from kubegenie.sandbox.identity import Identity
from kubegenie.sandbox.objects import DeleteOptions, WriteOptions
from kubegenie.sandbox.routing import ResourcePath

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster


@dataclass
class ApiRequest:
    http: web.Request
    cluster: Cluster
    path: ResourcePath
    identity: Identity
    warnings: list[str] = field(default_factory=list)
    _body: bytes | None = None

    @property
    def query(self) -> Any:
        return self.http.query

    def flag(self, name: str) -> bool:
        return self.http.query.get(name, "").lower() in ("true", "1")

    def int_param(self, name: str, default: int | None = None) -> int | None:
        value = self.http.query.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except ValueError as exc:
            raise status.bad_request(f'invalid value for {name}: "{value}"') from exc

    @property
    def namespace(self) -> str:
        return self.path.namespace or ""

    @property
    def content_type(self) -> str:
        return bodies.media_type(self.http.headers.get("Content-Type"))

    @property
    def wants_table(self) -> bool:
        accept = self.http.headers.get("Accept", "")
        return "as=Table" in accept and "g=meta.k8s.io" in accept

    async def body(self) -> bytes:
        if self._body is None:
            if self.http.content_length is not None and self.http.content_length > bodies.MAX_BODY_BYTES:
                raise bodies.too_large(self.http.content_length)
            data = bytearray()
            async for chunk in self.http.content.iter_chunked(65536):
                data.extend(chunk)
                if len(data) > bodies.MAX_BODY_BYTES:
                    raise bodies.too_large(len(data))
            self._body = bytes(data)
        return self._body

    async def object_body(self) -> dict[str, Any]:
        raw = await self.body()
        if not raw.strip():
            raise status.bad_request("the body of the request was empty")
        return bodies.decode_object(raw, self.http.headers.get("Content-Type"))

    def dry_run(self) -> bool:
        values = self.http.query.getall("dryRun", [])
        for value in values:
            if value != "All":
                raise status.bad_request(f'Invalid value: "{value}": supported values: "All"')
        return bool(values)

    def write_options(self) -> WriteOptions:
        manager = self.http.query.get("fieldManager")
        if manager is not None and len(manager) > 128:
            raise status.bad_request("fieldManager: Too long: may not be more than 128 bytes")
        return WriteOptions(dry_run=self.dry_run(), field_manager=manager or self.default_manager(),
                            field_validation=self.http.query.get("fieldValidation", "Warn") or "Warn",
                            force=self.flag("force"))

    def default_manager(self) -> str:
        """The apiserver names unnamed managers after the client's user agent ("kubectl", "python")."""
        agent = self.http.headers.get("User-Agent", "unknown")
        return agent.split("/", 1)[0] or "unknown"

    async def delete_options(self) -> DeleteOptions:
        body: dict[str, Any] = {}
        raw = await self.body()
        if raw.strip():
            body = bodies.decode_object(raw, self.http.headers.get("Content-Type"))
        propagation = self.http.query.get("propagationPolicy") or body.get("propagationPolicy")
        if body.get("orphanDependents") is True and not propagation:
            propagation = "Orphan"
        if propagation not in (None, "Background", "Foreground", "Orphan"):
            raise status.bad_request(f'propagationPolicy: Unsupported value: "{propagation}": supported values: '
                                     f'"Foreground", "Background", "Orphan"')
        grace = self.int_param("gracePeriodSeconds")
        if grace is None and isinstance(body.get("gracePeriodSeconds"), int):
            grace = body["gracePeriodSeconds"]
        preconditions = body.get("preconditions") or {}
        dry_run = self.dry_run() or bool(body.get("dryRun"))
        return DeleteOptions(propagation=propagation, grace_period=grace,
                             precondition_uid=preconditions.get("uid"),
                             precondition_rv=preconditions.get("resourceVersion"), dry_run=dry_run)
