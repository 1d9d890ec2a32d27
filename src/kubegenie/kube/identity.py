"""The Kubernetes identity a KubeGenie user acts as: sent as impersonation headers, so each cluster's own
RBAC decides what that person may see and do."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass


@dataclass(frozen=True)
class UserIdentity:
    user: str
    groups: tuple[str, ...] = ()

    def headers(self) -> Iterator[tuple[str, str]]:
        yield "Impersonate-User", self.user
        for group in self.groups:
            yield "Impersonate-Group", group

    def __str__(self) -> str:
        groups = f" (groups {', '.join(self.groups)})" if self.groups else ""
        return f"{self.user}{groups}"
