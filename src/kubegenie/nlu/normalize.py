"""Text cleanup before understanding: Unicode folding, punctuation, case, quoted phrases set aside, and
typo tolerance against KubeGenie's own vocabulary ("deploymnets" -> "deployments", "lgos" -> "logs").
Never touches words the caller knows as names (namespaces, clusters, objects).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

from pydantic import BaseModel, ConfigDict

from kubegenie.nlu.vocabulary import KIND_ALIASES, MASK_TEXT, NUMBER_WORDS, STATUS_WORDS, STOPWORDS, word_set

DOMAIN_WORDS = word_set("""
describe describes explain details detail list show display give fetch count many number total
logs log tail lines previous grep containing matching errors error warning warnings events event
restart restarts rollout bounce recycle redeploy scale replicas replica drain cordon uncordon evacuate
provision create spin database postgres postgresql mysql redis bucket cache queue
overview summary status state health healthy unhealthy diagnose troubleshoot wrong broken why failing
changed change changes happened deployed recently cost costs spend spending expensive money bill price budget
security audit vulnerabilities privileged root rbac permissions exposed compliance
memory cpu usage resources consumption consuming top heaviest hungry sorted sort
cluster clusters context contexts namespace namespaces kubeconfig available api resource resources types kinds
conditions pressure allocatable capacity schedulable unschedulable report everything
container containers label labels labeled labelled selector
yesterday today hours hour minutes minute seconds days week since last past ago
help commands please what which where when running pending ready restarting completed
top cpu ram mem log pod why get run ram wide limit region grep desc debug investigate inspect scheduled
secure insecure exposed internet output stdout stderr print printed printing happening happened going
maintenance patching kernel traffic tonight rotation draining drained cordoned rolled rolling rollouts
rescale size small medium large unavailable fail fails failed failure returns returning complaining complain
abnormal logging monitoring data default system team teams orders order

deploy deployed deploying deployment version versions kubelet disk network nodes pids doing left
""")


def _vocabulary() -> frozenset[str]:
    words = set(DOMAIN_WORDS) | set(STATUS_WORDS) | {w for w in NUMBER_WORDS if " " not in w}
    for aliases in KIND_ALIASES.values():
        words.update(a for a in aliases if " " not in a and "." not in a)
    return frozenset(w for w in words if len(w) >= 4)


VOCABULARY = _vocabulary()


class Normalized(BaseModel):
    """Cleaned text (lowercase, single spaces) and the quoted phrases taken out of it, case kept."""

    model_config = ConfigDict(frozen=True)

    text: str
    quoted: tuple[str, ...] = ()
    corrections: tuple[tuple[str, str], ...] = ()
    """(typed, corrected) pairs, so answers can say what was assumed."""


_DASHES = str.maketrans({"\u2014": "--", "\u2013": "--", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
                         "\u00a0": " "})
_QUOTED = re.compile(r"""(?<![\w])(["'`])(.+?)\1(?![\w])""")
_SENTENCE_PUNCT = re.compile(r"[?;()\[\]{}<>|&$\\]+|!(?!=)|,(?=\s|$)|(?<=\w)[.:,](?=\s|$)|^[.:,]+")
_SPACES = re.compile(r"\s+")
_ALPHA = re.compile(r"^[a-z]+$")


def clean(text: str) -> str:
    """Unicode-fold, drop control characters and collapse whitespace; case is kept."""
    folded = unicodedata.normalize("NFKC", text).translate(_DASHES)
    visible = "".join(ch if ch.isprintable() else " " for ch in folded)
    return _SPACES.sub(" ", visible).strip()


def normalize(text: str, protected: Iterable[str] = ()) -> Normalized:
    """Clean `text` for matching; words in `protected` (known names) are never corrected."""
    cleaned = clean(text)
    quoted: list[str] = []

    def set_aside(match: re.Match[str]) -> str:
        quoted.append(match.group(2))
        return f" {MASK_TEXT} "

    cleaned = _QUOTED.sub(set_aside, cleaned)
    lowered = _SPACES.sub(" ", _SENTENCE_PUNCT.sub(" ", cleaned.lower())).strip()
    keep = set(protected)
    words: list[str] = []
    corrections: list[tuple[str, str]] = []
    previous = ""
    for word in lowered.split(" "):
        # Values of flags and words after "called"/"container" are names: never "corrected".
        named = previous.startswith("-") or previous in ("called", "named", "container", "sidecar")
        previous = word
        fixed = correct(word) if word not in keep and not named else word
        if fixed != word:
            corrections.append((word, fixed))
        words.append(fixed)
    return Normalized(text=" ".join(words), quoted=tuple(quoted), corrections=tuple(corrections))


@lru_cache(maxsize=4096)
def correct(word: str) -> str:
    """The vocabulary word `word` is most likely a typo of, or `word` itself."""
    if len(word) < 4 or word in VOCABULARY or word in STOPWORDS or not _ALPHA.match(word):
        return word
    limit = 1 if len(word) <= 5 else 2
    best: list[str] = []
    best_distance = limit + 1
    for candidate in _candidates(word, limit):
        # Typos rarely touch the first letter; without this, real words drift ("across" -> "crons").
        if candidate[0] != word[0] and candidate[:2] != word[1::-1]:
            continue
        # Four letters leave too little to go on: only swapped letters count ("lgos"), not "shop" -> "show".
        if len(word) == 4 and sorted(candidate) != sorted(word):
            continue
        distance = osa_distance(word, candidate, limit)
        if distance > limit:
            continue
        if distance < best_distance:
            best, best_distance = [candidate], distance
        elif distance == best_distance:
            best.append(candidate)
    if len(best) > 1:
        # Swapped letters are the commonest typo: prefer the candidate with exactly the same letters.
        best = [c for c in best if sorted(c) == sorted(word)] or best
    # A remaining tie means the typo is genuinely ambiguous; guessing would be worse than leaving it.
    return best[0] if len(best) == 1 else word


def _deletes(word: str, depth: int) -> set[str]:
    found = {word}
    frontier = {word}
    for _ in range(depth):
        frontier = {w[:i] + w[i + 1:] for w in frontier for i in range(len(w))}
        found |= frontier
    return found


@lru_cache(maxsize=1)
def _delete_index() -> dict[str, frozenset[str]]:
    # Symmetric-delete index: a typo within distance d shares a deletion variant with its word.
    index: dict[str, set[str]] = {}
    for word in VOCABULARY:
        for variant in _deletes(word, 1 if len(word) <= 5 else 2):
            index.setdefault(variant, set()).add(word)
    return {k: frozenset(v) for k, v in index.items()}


def _candidates(word: str, limit: int) -> set[str]:
    index = _delete_index()
    found: set[str] = set()
    for variant in _deletes(word, limit):
        found |= index.get(variant, frozenset())
    return {c for c in found if abs(len(c) - len(word)) <= limit}


def osa_distance(a: str, b: str, limit: int = 3) -> int:
    """Optimal-string-alignment distance (edits plus adjacent swaps); anything above `limit` is limit + 1."""
    if abs(len(a) - len(b)) > limit:
        return limit + 1
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i] + [0] * len(b)
        for j, cb in enumerate(b, 1):
            cost = 0 if ca == cb else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and ca == b[j - 2] and a[i - 2] == cb:
                current[j] = min(current[j], previous2[j - 2] + 1)
        if min(current) > limit:
            return limit + 1
        previous2, previous = previous, current
    return min(previous[-1], limit + 1)
