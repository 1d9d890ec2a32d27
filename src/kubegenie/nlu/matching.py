"""Matching a name from text against the names the cache knows: exact, generated-suffix base ("the checkout
pod" -> `checkout-7d9f8b6c5-x2x4z`), prefix, then typo-tolerant. Ambiguity is reported, never resolved by
picking one at random.
"""

from __future__ import annotations

from bisect import bisect_left

from pydantic import BaseModel, ConfigDict

from kubegenie.domain.intents import ResourceKind
from kubegenie.nlu.context import NluContext
from kubegenie.nlu.normalize import osa_distance
from kubegenie.nlu.vocabulary import singular

# When a bare name matches objects of several kinds, the one people usually mean comes first.
KIND_PREFERENCE = (ResourceKind.DEPLOYMENT, ResourceKind.STATEFULSET, ResourceKind.DAEMONSET, ResourceKind.CRONJOB,
                   ResourceKind.JOB, ResourceKind.POD, ResourceKind.NODE, ResourceKind.SERVICE, ResourceKind.INGRESS,
                   ResourceKind.CONFIGMAP, ResourceKind.SECRET, ResourceKind.PVC, ResourceKind.HPA, ResourceKind.PDB,
                   ResourceKind.NAMESPACE)
MAX_CANDIDATES = 8


class NameMatch(BaseModel):
    model_config = ConfigDict(frozen=True)

    kind: ResourceKind | None
    name: str
    """The resolved name, or the typed one when nothing known matched."""
    candidates: tuple[str, ...] = ()
    """Several known objects the typed name could mean (then `name` is the typed one)."""
    note: str | None = None
    known: bool = False
    typed: str = ""


def _rank(kind: ResourceKind) -> int:
    return KIND_PREFERENCE.index(kind) if kind in KIND_PREFERENCE else len(KIND_PREFERENCE)


def resolve(typed: str, kind: ResourceKind | None, context: NluContext) -> NameMatch:
    """The object `typed` most likely names, within `kind` when it is known."""
    if not context.names:
        return NameMatch(kind=kind, name=typed, typed=typed)
    for finder in (_exact, _base, _prefix, _fuzzy):
        hits = finder(typed, kind, context)
        if hits:
            return _choose(typed, kind, hits)
    return NameMatch(kind=kind, name=typed, typed=typed)


def _exact(typed: str, kind: ResourceKind | None, context: NluContext) -> list[tuple[ResourceKind, str]]:
    return [(k, n) for k, n in context.by_base().get(typed, []) if n == typed and kind in (None, k)]


def _base(typed: str, kind: ResourceKind | None, context: NluContext) -> list[tuple[ResourceKind, str]]:
    return [(k, n) for k, n in context.by_base().get(typed, []) if kind in (None, k)]


def _prefix(typed: str, kind: ResourceKind | None, context: NluContext) -> list[tuple[ResourceKind, str]]:
    if "-" not in typed:
        return []  # whole words are matched as bases; a prefix is a partial generated name ("checkout-7d9f")
    hits: list[tuple[ResourceKind, str]] = []
    for k in [kind] if kind else list(context.names):
        names = sorted(context.names_of(k))
        start = bisect_left(names, typed)
        for name in names[start:start + MAX_CANDIDATES + 1]:
            if not name.startswith(typed):
                break
            hits.append((k, name))
    return hits


def _fuzzy(typed: str, kind: ResourceKind | None, context: NluContext) -> list[tuple[ResourceKind, str]]:
    if len(typed) < 5:
        return []  # short words are too often other words one typo away ("stop" / "shop")
    limit = 1 if len(typed) <= 6 else 2
    best: list[str] = []
    best_distance = limit + 1
    for base in context.by_base():
        # Same first letter (or the first two swapped), as in the vocabulary's typo tolerance.
        if abs(len(base) - len(typed)) > limit or (base[0] != typed[0] and base[:2] != typed[1::-1]):
            continue
        distance = osa_distance(typed, base, limit)
        if distance > limit:
            continue
        if distance < best_distance:
            best, best_distance = [base], distance
        elif distance == best_distance:
            best.append(base)
    hits: list[tuple[ResourceKind, str]] = []
    for base in best:
        hits.extend(h for h in context.by_base()[base] if kind in (None, h[0]) and base_or_name(h[1], base))
    return hits


def base_or_name(name: str, base: str) -> bool:
    return name == base or name.startswith(base + "-")


def _choose(typed: str, kind: ResourceKind | None, hits: list[tuple[ResourceKind, str]]) -> NameMatch:
    unique = sorted(set(hits), key=lambda h: (_rank(h[0]), h[1]))
    if kind is None:
        # A workload named exactly like the text beats the pods it owns.
        exact = [h for h in unique if h[1] == typed] or unique
        unique = [h for h in exact if _rank(h[0]) == _rank(exact[0][0])]
    if len(unique) == 1:
        found_kind, name = unique[0]
        note = None if name == typed else f"'{typed}' taken as {singular(found_kind)} {name}"
        return NameMatch(kind=found_kind, name=name, note=note, known=True, typed=typed)
    kinds = {h[0] for h in unique}
    return NameMatch(kind=kind or (next(iter(kinds)) if len(kinds) == 1 else None), name=typed, typed=typed,
                     candidates=tuple(h[1] for h in unique[:MAX_CANDIDATES]))
