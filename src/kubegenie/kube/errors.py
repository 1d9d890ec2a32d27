"""Translation of connection failures and API error responses into `kubegenie.errors`, each with a
remediation sentence that names the context and the next step. The one place this happens."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import dataclass
from typing import Any

import aiohttp

from kubegenie import errors


@dataclass(frozen=True)
class RequestInfo:
    """What was being attempted, so messages can say it."""

    context: str
    source: str
    server: str
    method: str
    path: str
    verb: str = ""
    resource: str = ""
    namespace: str | None = None


def connection_error(info: RequestInfo, exc: BaseException) -> errors.ClusterError:
    """A request that never got an HTTP answer."""
    where = f"cluster '{info.context}' at {info.server}"
    certificate = isinstance(exc, aiohttp.ClientConnectorCertificateError | ssl.SSLCertVerificationError) or (
        isinstance(exc, aiohttp.ClientConnectorError) and isinstance(exc.os_error, ssl.SSLError))
    if certificate:
        return errors.ClusterUnreachable(
            f"TLS verification failed for {where}: the server's certificate is not trusted ({_reason(exc)}).",
            f"Update certificate-authority-data of the cluster of context '{info.context}' in {info.source} to the "
            f"CA that signed the API server's certificate (compare `kubectl --context {info.context} config view "
            f"--raw --minify`); never switch verification off for a production cluster.")
    if isinstance(exc, aiohttp.ClientConnectorDNSError):
        return errors.ClusterUnreachable(
            f"Cannot resolve the host of {where}: {_reason(exc)}.",
            f"Check the `server:` address of the cluster of context '{info.context}' in {info.source}, and your "
            f"DNS or VPN.")
    if isinstance(exc, aiohttp.ClientConnectorError):
        return errors.ClusterUnreachable(
            f"Cannot connect to {where}: {_reason(exc)}.",
            f"Check that the cluster is running and reachable, and that the `server:` address of context "
            f"'{info.context}' in {info.source} is right (`kubectl --context {info.context} cluster-info`).")
    if isinstance(exc, asyncio.TimeoutError | aiohttp.ServerTimeoutError):
        return errors.ClusterUnreachable(
            f"{where[0].upper() + where[1:]} did not answer {info.method} {info.path} in time.",
            f"The API server is slow or unreachable; retry, check its health with `kubectl --context "
            f"{info.context} get --raw /readyz`, or raise KUBEGENIE_KUBE__REQUEST_TIMEOUT_SECONDS.")
    return errors.ClusterUnreachable(
        f"Lost the connection to {where}: {_reason(exc)}.",
        f"Retry; if it persists, check the API server of context '{info.context}' and the network to it.")


def _reason(exc: BaseException) -> str:
    if isinstance(exc, aiohttp.ClientConnectorError) and exc.os_error is not None:
        if isinstance(exc.os_error, ConnectionRefusedError):
            return "connection refused"
        return str(exc.os_error.strerror or exc.os_error)
    return str(exc) or type(exc).__name__


def status_error(info: RequestInfo, code: int, body: Any, retry_after: str | None = None) -> errors.KubeGenieError:
    """An HTTP error answer (a Status body when the server is a Kubernetes API server)."""
    message = body.get("message") if isinstance(body, dict) else None
    message = str(message or (body if isinstance(body, str) and body else f"HTTP {code}")).strip()
    context = info.context
    if code == 401:
        return errors.AuthenticationFailed(
            f"Cluster '{context}' rejected the credentials (401 Unauthorized).",
            f"Refresh the credentials of the user of context '{context}' in {info.source} (token, client "
            f"certificate or exec plugin), then check with `kubectl --context {context} auth whoami`.")
    if code == 403:
        verb, resource = info.verb, info.resource
        scope = f" -n {info.namespace}" if info.namespace else " -A" if verb in ("list", "watch") else ""
        return errors.PermissionDenied(
            f"Permission denied on cluster '{context}': {message}",
            f"Ask a cluster admin for a Role (or ClusterRole) granting `{verb}` on `{resource}`"
            f"{' in namespace ' + info.namespace if info.namespace else ''} and a binding to your user, then "
            f"confirm with `kubectl --context {context} auth can-i {verb} {resource}{scope}`.",
            verb=verb, resource=resource, namespace=info.namespace)
    if code == 404:
        return errors.NotFound(f"{message} (cluster '{context}')",
                               "Check the name and namespace; list what exists first.")
    if code == 409:
        return errors.Conflict(f"{message} (cluster '{context}')")
    if code == 429:
        wait = f" after {retry_after} s" if retry_after else ""
        return errors.RateLimited(f"Cluster '{context}' is throttling requests: {message}",
                                  f"Wait and retry{wait}; the API server's priority and fairness limits apply.")
    if code in (400, 405, 406, 413, 415, 422):
        return errors.InvalidInput(f"Cluster '{context}' refused the request: {message}",
                                   "Correct the request; the message above says which field is wrong.")
    if code >= 500:
        return errors.ClusterServerError(
            f"Cluster '{context}' failed to answer {info.method} {info.path}: {message} ({code}).",
            f"The API server had an internal problem; retry, and check its health with `kubectl --context "
            f"{context} get --raw /readyz`.")
    return errors.ClusterError(f"Cluster '{context}' answered {code}: {message}")
