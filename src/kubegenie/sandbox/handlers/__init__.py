"""Request handlers, one module per concern. Subresources and virtual (never stored) types register
their handlers here; everything else is served by `crud` and `watch`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from kubegenie.sandbox.request import ApiRequest

Handler = Callable[[ApiRequest], Awaitable[web.StreamResponse]]

SUBRESOURCES: dict[tuple[str, str], Handler] = {}
"""(storage key, subresource) -> handler, e.g. ("pods", "log")."""
VIRTUAL: dict[tuple[str, str], Handler] = {}
"""(group, plural) -> handler for types that are answered but never stored (reviews, metrics)."""


def subresource(storage_key: str, name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        SUBRESOURCES[(storage_key, name)] = handler
        return handler

    return register


def virtual(group: str, plural: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        VIRTUAL[(group, plural)] = handler
        return handler

    return register
