"""One connection to one cluster: base URL, TLS material and credentials from a kubeconfig context
(tokens, client certificates, CA data, exec plugins, via the official client library's loader) or from
the in-cluster service account, and the aiohttp session that carries requests."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from kubernetes.aio.client import Configuration
from kubernetes.aio.config.config_exception import ConfigException
from kubernetes.aio.config.incluster_config import (
    SERVICE_CERT_FILENAME,
    SERVICE_TOKEN_FILENAME,
    InClusterConfigLoader,
)
from kubernetes.aio.config.kube_config import KubeConfigLoader, KubeConfigMerger

from kubegenie.errors import ConfigError
from kubegenie.kube.kubeconfig import KubeconfigSet

IN_CLUSTER = "in-cluster"


@dataclass
class Credentials:
    """What a request needs to reach and authenticate to the API server."""

    server: str
    ssl_context: ssl.SSLContext | None
    headers: dict[str, str]
    tls_server_name: str | None = None


class Connection:
    """Credentials and an HTTP session for one context; credentials refresh on demand (exec plugins)."""

    def __init__(self, context: str, source: str, loader: Any, configuration: Configuration,
                 connect_timeout: float) -> None:
        self.context = context
        self.source = source
        """Where the credentials come from, for messages ("~/.kube/config", "in-cluster")."""
        self._loader = loader
        self._configuration = configuration
        self._connect_timeout = connect_timeout
        self._session: aiohttp.ClientSession | None = None
        self._lock = asyncio.Lock()
        self.credentials = _credentials(configuration)

    @classmethod
    async def from_kubeconfig(cls, kubeconfig: KubeconfigSet, context: str,
                              connect_timeout: float = 3.0) -> Connection:
        kubeconfig.require(context)
        configuration = Configuration()
        try:
            merged = KubeConfigMerger(kubeconfig.path_list).config
            loader = KubeConfigLoader(config_dict=merged, active_context=context, config_base_path=None)
            await loader.load_and_set(configuration)
        except (ConfigException, KeyError, ValueError, OSError) as exc:
            info = kubeconfig.contexts[context]
            raise ConfigError(f"Cannot load credentials of context '{context}' from {info.source}: {exc}.",
                              f"Check users[name={info.user}] and clusters[name={info.cluster}] in {info.source} "
                              f"(`kubectl --context {context} config view --minify`).") from exc
        return cls(context, str(kubeconfig.contexts[context].source), loader, configuration, connect_timeout)

    @classmethod
    def from_in_cluster(cls, host: str, port: str, connect_timeout: float = 3.0,
                        token_file: Path = Path(SERVICE_TOKEN_FILENAME),
                        ca_file: Path = Path(SERVICE_CERT_FILENAME)) -> Connection:
        configuration = Configuration()
        environ = {"KUBERNETES_SERVICE_HOST": host, "KUBERNETES_SERVICE_PORT": port}
        loader = InClusterConfigLoader(token_filename=str(token_file), cert_filename=str(ca_file), environ=environ)
        try:
            loader.load_and_set(configuration)
        except ConfigException as exc:
            raise ConfigError(f"Running in a pod but cannot use its service account: {exc}.",
                              f"Mount the service-account token ({token_file}) or run with a kubeconfig.") from exc
        return cls(IN_CLUSTER, "in-cluster service account", loader, configuration, connect_timeout)

    async def refresh(self) -> None:
        """Reload credentials (exec plugins and token files hand out new tokens)."""
        async with self._lock:
            result = self._loader.load_and_set(self._configuration)
            if asyncio.iscoroutine(result):
                await result
            self.credentials = _credentials(self._configuration)

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=64, ssl=self.credentials.ssl_context or False,
                                             enable_cleanup_closed=True)
            self._session = aiohttp.ClientSession(
                connector=connector, read_bufsize=2**21,
                timeout=aiohttp.ClientTimeout(total=None, sock_connect=self._connect_timeout))
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _credentials(configuration: Configuration) -> Credentials:
    server = str(configuration.host).rstrip("/")
    headers: dict[str, str] = {}
    token = (configuration.api_key or {}).get("BearerToken") or (configuration.api_key or {}).get("authorization")
    if token:
        headers["Authorization"] = token if str(token).lower().startswith("bearer ") else f"Bearer {token}"
    elif configuration.username and configuration.password:
        headers["Authorization"] = str(configuration.get_basic_auth_token())
    context: ssl.SSLContext | None = None
    if server.startswith("https"):
        context = ssl.create_default_context(cafile=configuration.ssl_ca_cert,
                                             cadata=getattr(configuration, "ca_cert_data", None))
        if configuration.cert_file:
            context.load_cert_chain(configuration.cert_file, keyfile=configuration.key_file)
        if not configuration.verify_ssl:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
    return Credentials(server, context, headers, getattr(configuration, "tls_server_name", None))
