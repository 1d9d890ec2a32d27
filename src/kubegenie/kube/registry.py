"""The named clusters KubeGenie can talk to: every context of the merged kubeconfig files plus the
in-cluster service account when running in a pod. Connections, caches and discovery are created lazily
per cluster and can be added or removed at run time; no process-wide "current context" is ever changed.
"""

from __future__ import annotations

import asyncio
import difflib
from dataclasses import dataclass, field
from pathlib import Path

from kubegenie import errors
from kubegenie.kube.cache import ClusterCache
from kubegenie.kube.client import ClusterClient
from kubegenie.kube.connection import IN_CLUSTER, Connection
from kubegenie.kube.discovery import Discovery, discover
from kubegenie.kube.identity import UserIdentity
from kubegenie.kube.kinds import CACHED_KINDS, KINDS_BY_NAME, Kind
from kubegenie.kube.kubeconfig import KubeconfigSet
from kubegenie.settings import KubeSettings, Settings


@dataclass
class ClusterEntry:
    """One named cluster and what has been built for it so far."""

    name: str
    server: str
    source: str
    namespace: str | None = None
    client: ClusterClient | None = None
    cache: ClusterCache | None = None
    discovery: Discovery | None = None
    discovery_generation: int = -1
    _connecting: asyncio.Lock = field(default_factory=asyncio.Lock)


class ClusterRegistry:
    """Clusters by name; everything per cluster is built on first use."""

    def __init__(self, kube: KubeSettings, kubeconfig_paths: list[Path], in_cluster: tuple[str, str] | None = None,
                 identity: UserIdentity | None = None) -> None:
        self.kube = kube
        if identity is None and kube.impersonate_user:
            identity = UserIdentity(kube.impersonate_user, tuple(kube.impersonate_groups))
        self.identity = identity
        self._paths = list(kubeconfig_paths)
        self._in_cluster = in_cluster
        self._entries: dict[str, ClusterEntry] = {}
        self.kubeconfig = KubeconfigSet(self._paths)
        self.default: str | None = None
        self._load()

    @classmethod
    def from_settings(cls, settings: Settings) -> ClusterRegistry:
        in_cluster = None
        if settings.kubernetes_service_host and settings.kubernetes_service_port:
            in_cluster = (settings.kubernetes_service_host, settings.kubernetes_service_port)
        return cls(settings.kube, settings.kubeconfig_paths(), in_cluster)

    def _load(self) -> None:
        for name, info in self.kubeconfig.contexts.items():
            if name not in self._entries:
                self._entries[name] = ClusterEntry(name, info.server, str(info.source), info.namespace)
        if self._in_cluster is not None and IN_CLUSTER not in self._entries:
            host, port = self._in_cluster
            self._entries[IN_CLUSTER] = ClusterEntry(IN_CLUSTER, f"https://{host}:{port}", "in-cluster")
        self.default = self.kubeconfig.current_context if self.kubeconfig.current_context in self._entries \
            else (IN_CLUSTER if IN_CLUSTER in self._entries else next(iter(self._entries), None))

    # --- membership --------------------------------------------------------------------------------------

    def names(self) -> list[str]:
        return list(self._entries)

    def entry(self, name: str | None) -> ClusterEntry:
        """The cluster called `name` (the default when None); unknown names get a did-you-mean."""
        resolved = name or self.default
        if resolved is None:
            raise errors.ConfigError(
                f"No clusters are configured (looked in {self.kubeconfig.describe_sources() or 'no file'}).",
                "Point KUBECONFIG at a kubeconfig file, pass --kubeconfig, or try `kubegenie demo`.")
        found = self._entries.get(resolved)
        if found is None:
            close = difflib.get_close_matches(resolved, self.names(), n=3, cutoff=0.5)
            hint = f"Did you mean {', '.join(repr(c) for c in close)}? " if close else ""
            raise errors.InvalidInput(f"No cluster named '{resolved}'.",
                                      f"{hint}Known clusters: {', '.join(self.names()) or 'none'}.")
        return found

    def add_kubeconfig(self, path: Path) -> list[str]:
        """Add the contexts of another kubeconfig file; returns the names that were new."""
        before = set(self._entries)
        self._paths.append(path)
        self.kubeconfig = KubeconfigSet(self._paths)
        self._load()
        return [name for name in self._entries if name not in before]

    async def remove(self, name: str) -> None:
        entry = self.entry(name)
        await self._close_entry(entry)
        del self._entries[name]
        if self.default == name:
            self.default = next(iter(self._entries), None)

    # --- per-cluster services ----------------------------------------------------------------------------

    async def client(self, name: str | None = None) -> ClusterClient:
        entry = self.entry(name)
        if entry.client is None:
            async with entry._connecting:
                if entry.client is None:
                    if entry.name == IN_CLUSTER and self._in_cluster is not None:
                        connection = Connection.from_in_cluster(*self._in_cluster,
                                                                connect_timeout=self.kube.connect_timeout_seconds)
                    else:
                        connection = await Connection.from_kubeconfig(
                            self.kubeconfig, entry.name, self.kube.connect_timeout_seconds)
                    entry.client = ClusterClient(connection, self.kube.request_timeout_seconds, self.identity)
        return entry.client

    def _cached_kinds(self) -> list[Kind]:
        if not self.kube.cache_kinds:
            return list(CACHED_KINDS)
        return [KINDS_BY_NAME[name] for name in self.kube.cache_kinds if name in KINDS_BY_NAME]

    async def cache(self, name: str | None = None, wait: float | None = None) -> ClusterCache:
        """The cluster's watch-fed cache, started on first use; waits up to `wait` s for the first sync."""
        entry = self.entry(name)
        if entry.cache is None:
            client = await self.client(entry.name)
            entry.cache = ClusterCache(client, self._cached_kinds())
            entry.cache.start()
        if wait:
            await entry.cache.wait_synced(wait)
        return entry.cache

    async def discovery(self, name: str | None = None) -> Discovery:
        """Every API resource the cluster serves; refreshed when its CRDs change."""
        entry = self.entry(name)
        generation = self._crd_generation(entry)
        if entry.discovery is None or generation != entry.discovery_generation:
            entry.discovery = await discover(await self.client(entry.name))
            entry.discovery_generation = generation
        return entry.discovery

    @staticmethod
    def _crd_generation(entry: ClusterEntry) -> int:
        if entry.cache is None or "customresourcedefinitions" not in entry.cache.informers:
            return 0
        crds = entry.cache.informers["customresourcedefinitions"].objects
        return hash(tuple(sorted((key[1], str(obj.get("metadata", {}).get("resourceVersion")))
                                 for key, obj in crds.items())))

    async def _close_entry(self, entry: ClusterEntry) -> None:
        if entry.cache is not None:
            await entry.cache.stop()
            entry.cache = None
        if entry.client is not None:
            await entry.client.close()
            entry.client = None

    async def close(self) -> None:
        await asyncio.gather(*(self._close_entry(entry) for entry in self._entries.values()))
