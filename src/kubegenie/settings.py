"""KubeGenie settings: one pydantic-settings class, environment prefix `KUBEGENIE_`, nested with `__`.

Built by `get_settings()` in entry points only, never at import time; `os.environ` is read nowhere else.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_data_dir() -> Path:
    return Path.home() / ".local" / "share" / "kubegenie"


class KubeSettings(BaseModel):
    """How KubeGenie reaches clusters."""

    kubeconfig: list[Path] = Field(default_factory=list)
    """Kubeconfig files, merged in order; empty means KUBECONFIG or ~/.kube/config."""
    request_timeout_seconds: float = 10.0
    """Timeout of one API request."""
    connect_timeout_seconds: float = 3.0
    """Timeout of establishing a connection; an unreachable cluster is reported after this."""
    impersonate_user: str | None = None
    """Kubernetes user to impersonate for every request (the cluster's RBAC then decides what is allowed)."""
    impersonate_groups: list[str] = Field(default_factory=list)
    """Groups to impersonate together with impersonate_user."""
    fleet_concurrency: int = Field(default=16, ge=1, le=256)
    """How many clusters one fleet question talks to at once."""
    fleet_timeout_seconds: float = Field(default=5.0, gt=0)
    """How long a fleet question waits for each cluster before reporting it as failed."""
    cache_kinds: list[str] = Field(default_factory=list)
    """Resource kinds (plurals) to cache; empty means every kind the agents use."""


class QueueSettings(BaseModel):
    """How tasks travel from the orchestrator to the agents."""

    backend: Literal["inprocess", "celery"] = "inprocess"
    """`inprocess` runs agents in the asking process (no extra service); `celery` hands tasks to `kubegenie worker`s."""
    broker_url: str = "redis://127.0.0.1:6379/0"
    """Celery broker: redis://HOST:PORT/DB or amqp://USER:PASSWORD@HOST:PORT/VHOST."""
    name: str = Field(default="kubegenie", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,100}$")
    """Celery queue name; deployments sharing one broker use different names."""
    workers: int = Field(default=8, ge=1, le=1024)
    """Tasks one process runs at once: the in-process pool, or the threads of one worker."""
    visibility_timeout_seconds: float = Field(default=3600.0, gt=0)
    """Redis only: a task left unacknowledged this long goes to another worker (its worker is presumed dead).
    Keep it above the longest task timeout."""
    connect_timeout_seconds: float = Field(default=5.0, gt=0)
    """How long to try reaching the broker before reporting it unreachable."""


class StoreSettings(BaseModel):
    """Where tasks, results, conversation history and scan results are kept."""

    url: str | None = None
    """SQLAlchemy URL, e.g. postgresql://user@host/db; unset means the SQLite file kubegenie.db in data_dir."""


class TaskSettings(BaseModel):
    """Timeouts, retries and concurrency of agent tasks."""

    default_timeout_seconds: float = Field(default=60.0, gt=0)
    """Run time allowed to one task of an agent that declares no timeout of its own."""
    timeouts: dict[str, float] = Field(default_factory=dict)
    """Per-agent run time in seconds, by agent name; overrides what the agent declares."""
    fan_out_timeout_seconds: float = Field(default=120.0, gt=0)
    """How long a request answered by several agents waits for all of them before answering with what it has."""
    max_attempts: int = Field(default=3, ge=1, le=20)
    """Attempts of read-only work failing for a transient reason (unreachable cluster, throttling, 5xx)."""
    retry_backoff_seconds: float = Field(default=0.5, ge=0)
    """Delay before the second attempt; it doubles with each further attempt."""
    retry_backoff_max_seconds: float = Field(default=30.0, ge=0)
    agent_concurrency: int = Field(default=4, ge=1)
    """Tasks of one agent running at once in one process."""
    concurrency: dict[str, int] = Field(default_factory=dict)
    """Per-agent limits by agent name, overriding agent_concurrency."""
    cluster_concurrency: int = Field(default=8, ge=1)
    """Tasks about one cluster running at once in one process, so one cluster's API server is not flooded."""
    cancel_poll_seconds: float = Field(default=0.25, gt=0)
    """How often a process looks for cancellations asked by another process (`kubegenie tasks cancel`)."""


class ScanSchedule(BaseModel):
    """One periodic background scan."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,62}$")
    intent: str
    """Intent to run, e.g. health_check."""
    every_seconds: float = Field(gt=0)


class ScanSettings(BaseModel):
    """Periodic background scans, whose results are stored so later questions can compare over time."""

    enabled: bool = True
    schedules: list[ScanSchedule] = Field(default_factory=lambda: [
        ScanSchedule(name="health", intent="health_check", every_seconds=300),
        ScanSchedule(name="cost", intent="cost_report", every_seconds=86_400),
    ])
    clusters: list[str] = Field(default_factory=list)
    """kubeconfig contexts to scan; empty means the default cluster only."""


class AgentSettings(BaseModel):
    """Which agents take part."""

    disabled: list[str] = Field(default_factory=list)
    """Agent names to leave out, e.g. when two installed agents claim the same intent."""


class Settings(BaseSettings):
    """Every setting of KubeGenie; each nested group is set with e.g. KUBEGENIE_KUBE__REQUEST_TIMEOUT_SECONDS."""

    model_config = SettingsConfigDict(env_prefix="KUBEGENIE_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    """Where the local database and caches live."""
    kube: KubeSettings = Field(default_factory=KubeSettings)
    queue: QueueSettings = Field(default_factory=QueueSettings)
    store: StoreSettings = Field(default_factory=StoreSettings)
    tasks: TaskSettings = Field(default_factory=TaskSettings)
    scans: ScanSettings = Field(default_factory=ScanSettings)
    agents: AgentSettings = Field(default_factory=AgentSettings)

    # Variables defined by Kubernetes conventions rather than by KubeGenie.
    kubeconfig_env: str | None = Field(default=None, validation_alias="KUBECONFIG")
    """The standard KUBECONFIG list of files (':'-separated), used when kube.kubeconfig is empty."""
    kubernetes_service_host: str | None = Field(default=None, validation_alias="KUBERNETES_SERVICE_HOST")
    """Set inside a pod: KubeGenie then also offers the in-cluster service-account identity."""
    kubernetes_service_port: str | None = Field(default=None, validation_alias="KUBERNETES_SERVICE_PORT")

    def kubeconfig_paths(self) -> list[Path]:
        """Kubeconfig files in kubectl's order: explicit setting, then KUBECONFIG, then ~/.kube/config."""
        if self.kube.kubeconfig:
            return list(self.kube.kubeconfig)
        if self.kubeconfig_env:
            return [Path(part).expanduser() for part in self.kubeconfig_env.split(":") if part]
        return [Path.home() / ".kube" / "config"]

    def database_url(self) -> str:
        """The store's SQLAlchemy URL: the configured one, or a SQLite file in data_dir."""
        return self.store.url or f"sqlite:///{self.data_dir / 'kubegenie.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment once."""
    return Settings()
