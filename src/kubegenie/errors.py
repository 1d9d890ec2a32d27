"""The one error tree of KubeGenie. Every error carries a stable `code`, a `message` and a `remediation`.

    KubeGenieError
    ├── ConfigError                  settings or kubeconfig that cannot be used
    ├── InvalidInput                 user input that cannot be acted on (bad names, empty text)
    ├── ClusterError                 a cluster answered badly or not at all
    │   ├── ClusterUnreachable       connection refused, DNS, TLS, timeout
    │   ├── AuthenticationFailed     401
    │   ├── PermissionDenied         403
    │   ├── NotFound                 404
    │   ├── Conflict                 409
    │   ├── RateLimited              429
    │   └── ClusterServerError       5xx
    ├── AgentError                   an agent could not produce a result
    │   ├── AgentTimeout
    │   └── AgentUnavailable
    ├── TaskError                    task bookkeeping (unknown id, bad state change)
    │   └── TaskNotFound
    └── ServiceUnavailable           a service KubeGenie itself runs on cannot be reached
        ├── BrokerUnreachable        the Celery broker (Redis, RabbitMQ) or the celery extra is missing
        └── DatabaseUnreachable      the task and history database

Client-library exceptions are translated into these once, in `kubegenie.kube`; each surface has one handler.
"""

from __future__ import annotations

from typing import ClassVar


class KubeGenieError(Exception):
    """Base of every KubeGenie error; `code` is stable and machine-readable."""

    code: ClassVar[str] = "kubegenie_error"
    http_status: ClassVar[int] = 500
    default_remediation: ClassVar[str] = "Retry; if it keeps failing, run with --verbose and report the output."

    def __init__(self, message: str, remediation: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.remediation = remediation or self.default_remediation

    def __str__(self) -> str:
        return self.message

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message, "remediation": self.remediation}


class ConfigError(KubeGenieError):
    code = "config_error"
    http_status = 500
    default_remediation = "Check the KUBEGENIE_* settings and the kubeconfig file."


class InvalidInput(KubeGenieError):
    code = "invalid_input"
    http_status = 422
    default_remediation = "Correct the input and try again; `kubegenie ask help` lists what can be asked."


class ClusterError(KubeGenieError):
    code = "cluster_error"
    http_status = 502


class ClusterUnreachable(ClusterError):
    code = "cluster_unreachable"
    http_status = 503
    default_remediation = "Check that the cluster is running and that the kubeconfig server address is right."


class AuthenticationFailed(ClusterError):
    code = "authentication_failed"
    http_status = 502
    default_remediation = "Refresh the credentials of this context in the kubeconfig (token, client certificate)."


class PermissionDenied(ClusterError):
    code = "permission_denied"
    http_status = 403
    default_remediation = "Ask a cluster admin for a Role that grants this verb, then confirm with kubectl auth can-i."

    def __init__(self, message: str, remediation: str | None = None, *, verb: str = "", resource: str = "",
                 namespace: str | None = None) -> None:
        super().__init__(message, remediation)
        self.verb = verb
        self.resource = resource
        self.namespace = namespace


class NotFound(ClusterError):
    code = "not_found"
    http_status = 404
    default_remediation = "Check the name and namespace; list what exists with `kubegenie ask 'list pods'`."


class Conflict(ClusterError):
    code = "conflict"
    http_status = 409
    default_remediation = "The object changed meanwhile; read it again and retry."


class RateLimited(ClusterError):
    code = "rate_limited"
    http_status = 429
    default_remediation = "The API server is throttling requests; wait a moment and retry."


class ClusterServerError(ClusterError):
    code = "cluster_server_error"
    http_status = 502
    default_remediation = "The API server failed; check its health (kubectl get --raw /readyz) and retry."


class AgentError(KubeGenieError):
    code = "agent_error"
    http_status = 500


class AgentTimeout(AgentError):
    code = "agent_timeout"
    http_status = 504
    default_remediation = "Narrow the question (one namespace or cluster) or raise the agent timeout."


class AgentUnavailable(AgentError):
    code = "agent_unavailable"
    http_status = 501
    default_remediation = "Install the package that provides this agent, or ask `help` for what is available."


class TaskError(KubeGenieError):
    code = "task_error"
    http_status = 404
    default_remediation = "List tasks with `kubegenie tasks list` and use one of their ids."


class TaskNotFound(TaskError):
    code = "task_not_found"
    http_status = 404


class ServiceUnavailable(KubeGenieError):
    code = "service_unavailable"
    http_status = 503


class BrokerUnreachable(ServiceUnavailable):
    code = "broker_unreachable"
    default_remediation = ("Start the broker or fix KUBEGENIE_QUEUE__BROKER_URL; the in-process queue needs none "
                           "(KUBEGENIE_QUEUE__BACKEND=inprocess).")


class DatabaseUnreachable(ServiceUnavailable):
    code = "database_unreachable"
    default_remediation = "Start the database or fix KUBEGENIE_STORE__URL (unset, it uses a SQLite file)."


def _all_subclasses(cls: type[KubeGenieError]) -> list[type[KubeGenieError]]:
    found = [cls]
    for sub in cls.__subclasses__():
        found.extend(_all_subclasses(sub))
    return found


def from_code(code: str, message: str, remediation: str | None = None) -> KubeGenieError:
    """Rebuild an error from its stable code (a task failure recorded in the store or sent by a worker)."""
    for cls in _all_subclasses(KubeGenieError):
        if cls.code == code:
            return cls(message, remediation)
    return KubeGenieError(message, remediation)
