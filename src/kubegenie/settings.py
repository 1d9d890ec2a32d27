"""KubeGenie settings: one pydantic-settings class, environment prefix `KUBEGENIE_`, nested with `__`.

Built by `get_settings()` in entry points only, never at import time; `os.environ` is read nowhere else.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

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


class Settings(BaseSettings):
    """Every setting of KubeGenie; each nested group is set with e.g. KUBEGENIE_KUBE__REQUEST_TIMEOUT_SECONDS."""

    model_config = SettingsConfigDict(env_prefix="KUBEGENIE_", env_nested_delimiter="__", extra="ignore")

    data_dir: Path = Field(default_factory=_default_data_dir)
    """Where the local database and caches live."""
    kube: KubeSettings = Field(default_factory=KubeSettings)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read from the environment once."""
    return Settings()
