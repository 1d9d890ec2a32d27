"""One copy in memory of each distinct part of the managedFields field sets.

The FieldsV1 trees of objects written the same way (every pod of a workload, every status the kubelet
writes) are nearly identical, and they hold most of an object's dicts: two thirds of a running pod's. Stored
objects are never mutated, so the store keeps one shared copy of each distinct subtree; two pods that differ
in one IP address share the rest. What clients read is unchanged.
"""

from __future__ import annotations

import sys
from typing import Any

import orjson

Obj = dict[str, Any]

_SWEEP_AT = 50_000
"""Known subtrees before the first sweep for those no stored object holds any more."""


class SharedFieldSets:
    """Canonical FieldsV1 subtrees, known by the hash of their JSON (key order included)."""

    def __init__(self, sweep_at: int = _SWEEP_AT) -> None:
        self._nodes: dict[int, Obj] = {}
        self._first_sweep = self._sweep_at = sweep_at

    def __len__(self) -> int:
        return len(self._nodes)

    def canonical(self, node: Obj) -> Obj:
        """The shared copy of a tree equal to `node`. Top down: a known subtree is taken whole, and only the
        parts seen for the first time (a pod's own IP address, say) are walked into."""
        key = hash(orjson.dumps(node))
        shared = self._nodes.get(key)
        if shared is not None and shared == node:
            return shared
        children = {name: self.canonical(child) if isinstance(child, dict) else child
                    for name, child in node.items()}
        if shared is None:
            self._nodes[key] = children
            if len(self._nodes) >= self._sweep_at:
                self._sweep()
        return children

    def _sweep(self) -> None:
        """Forget subtrees held only by this table (their objects were deleted or replaced), parents first so
        that their children follow; the next sweep waits until the table has doubled."""
        while True:
            unheld = [key for key in self._nodes if sys.getrefcount(self._nodes[key]) <= 2]
            for key in unheld:
                del self._nodes[key]
            if not unheld:
                break
        self._sweep_at = max(self._first_sweep, 2 * len(self._nodes))

    def share(self, meta: Obj, previous: Obj | None = None) -> None:
        """Point a new object's managedFields at shared trees; `previous` is the metadata of the version it
        replaces, whose trees (already shared) are taken as they are when unchanged, the usual case. The list
        and its entries may belong to a stored version, so they are replaced, never changed in place."""
        entries = meta.get("managedFields")
        if not isinstance(entries, list):
            return
        before = (previous or {}).get("managedFields")
        before = before if isinstance(before, list) else []
        shared_entries = []
        changed = False
        for index, entry in enumerate(entries):
            tree = entry.get("fieldsV1") if isinstance(entry, dict) else None
            if isinstance(tree, dict):
                old = before[index].get("fieldsV1") if index < len(before) and isinstance(before[index], dict) \
                    else None
                canonical = old if isinstance(old, dict) and (old is tree or old == tree) else self.canonical(tree)
                if canonical is not tree:
                    entry = {**entry, "fieldsV1": canonical}
                    changed = True
            shared_entries.append(entry)
        if changed:
            meta["managedFields"] = shared_entries
