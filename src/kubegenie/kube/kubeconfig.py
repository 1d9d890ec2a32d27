"""Reading and merging kubeconfig files the way kubectl does (first file wins for each name and for
current-context), and describing their contexts. No connection is made here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kubegenie.errors import ConfigError


@dataclass(frozen=True)
class ContextInfo:
    name: str
    cluster: str
    user: str
    server: str
    namespace: str | None
    source: Path


class KubeconfigSet:
    """The merged view of several kubeconfig files."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = [path for path in paths if path.exists()]
        self.missing = [path for path in paths if not path.exists()]
        self.contexts: dict[str, ContextInfo] = {}
        self.current_context: str | None = None
        clusters: dict[str, tuple[dict[str, Any], Path]] = {}
        users: dict[str, dict[str, Any]] = {}
        contexts: dict[str, tuple[dict[str, Any], Path]] = {}
        for path in self.paths:
            config = _read(path)
            for item in config.get("clusters") or []:
                clusters.setdefault(str(item.get("name")), (item.get("cluster") or {}, path))
            for item in config.get("users") or []:
                users.setdefault(str(item.get("name")), item.get("user") or {})
            for item in config.get("contexts") or []:
                contexts.setdefault(str(item.get("name")), (item.get("context") or {}, path))
            if not self.current_context and config.get("current-context"):
                self.current_context = str(config["current-context"])
        for name, (context, path) in contexts.items():
            cluster_name = str(context.get("cluster", ""))
            cluster = clusters.get(cluster_name, ({}, path))[0]
            self.contexts[name] = ContextInfo(name=name, cluster=cluster_name, user=str(context.get("user", "")),
                                              server=str(cluster.get("server", "")),
                                              namespace=context.get("namespace"), source=path)

    @property
    def path_list(self) -> str:
        """The files as a KUBECONFIG-style list, for the client library's merger."""
        return ":".join(str(path) for path in self.paths)

    def require(self, name: str) -> ContextInfo:
        info = self.contexts.get(name)
        if info is None:
            known = ", ".join(sorted(self.contexts)) or "none"
            raise ConfigError(f"No context named '{name}' in {self.describe_sources()}.",
                              f"Use one of: {known} (see `kubegenie clusters list`).")
        if not info.server:
            raise ConfigError(f"Context '{name}' points at cluster '{info.cluster}', which has no server address "
                              f"in {info.source}.",
                              f"Add `server:` under clusters[name={info.cluster}].cluster in {info.source}.")
        return info

    def describe_sources(self) -> str:
        return ", ".join(str(path) for path in self.paths) or "no kubeconfig file"


def _read(path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Cannot read kubeconfig {path}: {exc}.",
                          "Check the file's permissions, or point KUBECONFIG at another file.") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"Kubeconfig {path} is not valid YAML: {exc}.",
                          f"Fix the file (try `kubectl --kubeconfig {path} config view`).") from exc
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"Kubeconfig {path} is not a kubeconfig (expected a mapping at the top level).",
                          "Point KUBECONFIG at a kubeconfig file.")
    return data
