"""Conversion between the version a client asked for and the version objects are stored in.

Most types have one version, so conversion only rewrites apiVersion. Types served at several versions
(events core/v1 and events.k8s.io/v1, HPA autoscaling/v2 and v1, CRDs with several versions) register
their converters here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from kubegenie.sandbox.resources import ResourceType
from kubegenie.sandbox.store import Obj

if TYPE_CHECKING:
    from kubegenie.sandbox.cluster import Cluster

Converter = Callable[[Obj], Obj]
# (storage api version, served api version, kind) -> function converting a storage object to the served one
_FROM_STORAGE: dict[tuple[str, str, str], Converter] = {}
# (served api version, storage api version, kind) -> function converting a served object to storage
_TO_STORAGE: dict[tuple[str, str, str], Converter] = {}


def register(storage: str, served: str, kind: str, down: Converter, up: Converter) -> None:
    """`down` turns a stored object into the served version, `up` turns a served one into storage."""
    _FROM_STORAGE[(storage, served, kind)] = down
    _TO_STORAGE[(served, storage, kind)] = up


def storage_version(cluster: Cluster, rtype: ResourceType) -> str:
    """The apiVersion objects of this type are stored in."""
    return cluster.storage_versions.get(rtype.storage_key, rtype.api_version)


def from_storage(cluster: Cluster, rtype: ResourceType, obj: Obj) -> Obj:
    del cluster  # conversions are the same for every cluster; the parameter mirrors to_storage
    stored_as = obj.get("apiVersion", rtype.api_version)
    if stored_as == rtype.api_version:
        return obj
    converter = _FROM_STORAGE.get((stored_as, rtype.api_version, rtype.kind))
    if converter is not None:
        return converter(obj)
    return {**obj, "apiVersion": rtype.api_version}


def to_storage(cluster: Cluster, rtype: ResourceType, obj: Obj) -> Obj:
    target = storage_version(cluster, rtype)
    if target == rtype.api_version:
        return obj
    converter = _TO_STORAGE.get((rtype.api_version, target, rtype.kind))
    if converter is not None:
        return converter(obj)
    return {**obj, "apiVersion": target}
