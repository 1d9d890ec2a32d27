"""What the caller knows when a message arrives: known clusters, namespaces and object names by kind (from the
cache), the current cluster and namespace, and the clock. The NLU does no I/O; everything it matches
against comes from here. Build one per cache revision and reuse it: its name index is built once, lazily.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr

from kubegenie.domain.intents import ResourceKind

# Generated suffixes: ReplicaSet pod-template hashes and pod/job random tails ("checkout-7d9f8b6c5-x2x4z").
# Both use the apimachinery "safe" alphabet (no vowels, no 0/1/3); CronJob jobs end in a numeric schedule time.
_GENERATED_TAIL = re.compile(r"-(?:[bcdfghjklmnpqrstvwxz2456789]{5,10}|\d{8,10})$")


def base_name(name: str) -> str:
    """The workload part of a generated name: `checkout-7d9f8b6c5-x2x4z` -> `checkout`, `web-0` -> `web`."""
    stripped = name
    for _ in range(2):
        match = _GENERATED_TAIL.search(stripped)
        if not match or match.start() == 0:
            break
        stripped = stripped[: match.start()]
    if stripped == name:
        ordinal = re.match(r"^(.+)-\d+$", name)
        if ordinal:
            return ordinal.group(1)
    return stripped


def _utcnow() -> datetime:
    return datetime.now(UTC)


class NluContext(BaseModel):
    """Everything `understand` may match against; all optional, so an empty context still works."""

    model_config = ConfigDict(frozen=True)

    clusters: tuple[str, ...] = ()
    namespaces: tuple[str, ...] = ()
    names: dict[ResourceKind, tuple[str, ...]] = Field(default_factory=dict)
    """Object names by kind, as the cache knows them (namespaces merged)."""
    current_cluster: str | None = None
    current_namespace: str | None = None
    now: datetime = Field(default_factory=_utcnow)
    """The moment relative times ("last 2 hours") count back from; fixed in tests."""

    _by_base: dict[str, list[tuple[ResourceKind, str]]] | None = PrivateAttr(default=None)
    _vocabulary: frozenset[str] | None = PrivateAttr(default=None)

    def names_of(self, kind: ResourceKind) -> tuple[str, ...]:
        return self.names.get(kind, ())

    def by_base(self) -> dict[str, list[tuple[ResourceKind, str]]]:
        """Base name -> every (kind, name) sharing it; built on first use."""
        if self._by_base is None:
            index: dict[str, list[tuple[ResourceKind, str]]] = {}
            for kind, names in self.names.items():
                for name in names:
                    index.setdefault(name, []).append((kind, name))
                    base = base_name(name)
                    if base != name:
                        index.setdefault(base, []).append((kind, name))
            self._by_base = index
        return self._by_base

    def known_words(self) -> frozenset[str]:
        """Every known name, so typo correction never rewrites one."""
        if self._vocabulary is None:
            words = set(self.clusters) | set(self.namespaces) | set(self.by_base())
            self._vocabulary = frozenset(words)
        return self._vocabulary
