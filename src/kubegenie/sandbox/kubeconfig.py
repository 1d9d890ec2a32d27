"""Writing sandbox contexts into a kubeconfig file, merged with whatever else the file holds."""

from __future__ import annotations

import base64
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


@dataclass(frozen=True)
class ContextEntry:
    name: str
    server: str
    ca_pem: bytes | None = None
    token: str | None = None
    namespace: str | None = None
    client_cert_pem: bytes | None = None
    client_key_pem: bytes | None = None


def merge_into(path: Path, entries: list[ContextEntry], current: str | None = None) -> None:
    """Add or replace `entries` (cluster, user and context of the same name) in the kubeconfig at `path`."""
    config: dict[str, Any] = {}
    if path.exists():
        loaded = yaml.safe_load(path.read_text()) or {}
        if isinstance(loaded, dict):
            config = loaded
    config.setdefault("apiVersion", "v1")
    config.setdefault("kind", "Config")
    config.setdefault("preferences", {})
    names = {entry.name for entry in entries}
    for section in ("clusters", "users", "contexts"):
        config[section] = [item for item in config.get(section) or [] if item.get("name") not in names]
    for entry in entries:
        cluster: dict[str, Any] = {"server": entry.server}
        if entry.ca_pem is not None:
            cluster["certificate-authority-data"] = base64.b64encode(entry.ca_pem).decode()
        config["clusters"].append({"name": entry.name, "cluster": cluster})
        user: dict[str, Any] = {"token": entry.token} if entry.token else {}
        if entry.client_cert_pem is not None and entry.client_key_pem is not None:
            user["client-certificate-data"] = base64.b64encode(entry.client_cert_pem).decode()
            user["client-key-data"] = base64.b64encode(entry.client_key_pem).decode()
        config["users"].append({"name": entry.name, "user": user})
        context: dict[str, Any] = {"cluster": entry.name, "user": entry.name}
        if entry.namespace:
            context["namespace"] = entry.namespace
        config["contexts"].append({"name": entry.name, "context": context})
    if current is not None or not config.get("current-context"):
        config["current-context"] = current or entries[0].name
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(yaml.safe_dump(config, sort_keys=False))
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def remove_from(path: Path, names: list[str]) -> None:
    """Take the sandbox's entries out of the kubeconfig again (when it stops)."""
    if not path.exists():
        return
    config = yaml.safe_load(path.read_text()) or {}
    if not isinstance(config, dict):
        return
    for section in ("clusters", "users", "contexts"):
        config[section] = [item for item in config.get(section) or [] if item.get("name") not in names]
    if config.get("current-context") in names:
        remaining = config.get("contexts") or []
        config["current-context"] = remaining[0]["name"] if remaining else ""
    path.write_text(yaml.safe_dump(config, sort_keys=False))
