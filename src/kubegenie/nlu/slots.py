"""Where a question applies: cluster or context ("on prod", "across all clusters", "--context x"), namespace
("in payments", "payments namespace", "-n payments", "ns payments", "-A"), node ("on node-2"), label
selectors ("app=web", "-l app=web", "with label tier frontend") and the resource kind (plurals, kubectl
short names, spoken forms). Each extractor masks what it consumed.
"""

from __future__ import annotations

import re

from kubegenie.domain.intents import ResourceKind
from kubegenie.nlu.context import NluContext
from kubegenie.nlu.normalize import DOMAIN_WORDS, VOCABULARY, osa_distance
from kubegenie.nlu.scan import END, NAME, START, Scan, words
from kubegenie.nlu.vocabulary import (
    AMBIGUOUS_SHORT,
    MASK_CLUSTER,
    MASK_LABEL,
    MASK_NAMESPACE,
    MASK_NODE,
    MASKS,
    NOT_SCOPE_WORDS,
    NUMBER_WORDS,
    STATUS_WORDS,
    STOPWORDS,
    kind_lookup,
)

KINDS = kind_lookup()
_KIND_WORDS = frozenset(alias for alias in KINDS if " " not in alias)


def is_filler(token: str) -> bool:
    """Words that never name anything, even right after "pod" or "namespace"."""
    return (token in STOPWORDS or token in STATUS_WORDS or token in NUMBER_WORDS or token in _KIND_WORDS
            or token in MASKS or token.startswith("-"))


def is_plain_word(token: str) -> bool:
    """Words of the language rather than names: never taken as a name unless a kind word stands beside them."""
    return is_filler(token) or token in VOCABULARY or token in DOMAIN_WORDS


def _flag(names: str, value: str = NAME) -> re.Pattern[str]:
    return re.compile(rf"{START}(?:{names})(?:=|\s+)(?P<v>{value}){END}")


_ALL_NAMESPACES = re.compile(START + words(
    "-a", "--all-namespaces", "all namespaces", "all the namespaces", "every namespace", "each namespace",
    "across namespaces", "any namespace", "cluster-wide", "clusterwide", "cluster wide", "in all ns", "across all ns",
    "all ns") + END)
_ALL_CLUSTERS = re.compile(START + r"(?:across|in|on|for|over)?\s*(?:the\s+)?" + words(
    "all clusters", "all the clusters", "every cluster", "each cluster", "all contexts", "every context",
    "all of the clusters", "--all-contexts", "the whole fleet", "the fleet", "all envs", "all environments",
    "every environment") + END)
_CONTEXT_FLAG = _flag("--context|--cluster")
_NAMESPACE_FLAG = _flag("-n|--namespace")
_NAMESPACE_GLUED = re.compile(rf"{START}-n(?P<v>{NAME}){END}")
_SELECTOR_FLAG = re.compile(rf"{START}(?:-l|--selector)(?:=|\s+)(?P<v>[a-z0-9./_=!,-]+){END}")
_NODE_FIELD = re.compile(rf"{START}--field-selector(?:=|\s+)spec\.nodename=(?P<v>{NAME}){END}")
_LABEL_PAIRS = re.compile(
    rf"{START}(?P<v>[a-z0-9./_-]+\s?!?==?\s?[a-z0-9._-]*(?:,\s?[a-z0-9./_-]+\s?!?==?\s?[a-z0-9._-]*)*){END}")
_LABEL_WORDS = re.compile(
    rf"{START}(?:with\s+(?:the\s+)?|having\s+(?:the\s+)?|that\s+have\s+(?:the\s+)?|where\s+)?"
    rf"(?:labels?|labell?ed|tagged)\s+(?P<k>[a-z0-9./_-]+)(?:\s+(?:is|of|as|set\s+to)|:)?\s+(?P<v>{NAME}){END}")


def extract_scope(scan: Scan, context: NluContext) -> None:
    """Cluster, namespace, node and label selector, in that order."""
    _clusters(scan, context)
    _namespaces(scan, context)
    _nodes(scan, context)
    _labels(scan)


def _clusters(scan: Scan, context: NluContext) -> None:
    if scan.sub(_ALL_CLUSTERS, lambda _m: MASK_CLUSTER):
        scan.set("all_clusters", True)
    scan.sub(_CONTEXT_FLAG, lambda m: _take(scan, "cluster", m.group("v"), MASK_CLUSTER))
    known = "|".join(re.escape(c) for c in sorted(context.clusters, key=len, reverse=True))
    explicit = [
        rf"{START}(?:on|in|for|against|from)\s+(?:the\s+)?(?P<v>{NAME})\s+(?:cluster|context|env|environment){END}",
        rf"{START}(?:cluster|context)\s+(?:called\s+|named\s+)?(?P<v>{NAME}){END}",
        rf"{START}(?P<v>{NAME})\s+(?:cluster|context){END}",
    ]
    if known:
        explicit.append(rf"{START}(?:(?:on|in|for|against|from|at)\s+(?:the\s+)?)?(?P<v>{known}){END}")
    else:
        explicit.append(rf"{START}on\s+(?P<v>{NAME}){END}")
    for pattern in explicit:
        scan.sub(re.compile(pattern), lambda m: _cluster_value(scan, context, m.group("v")))
    if context.clusters:
        # "on prd", "on staging" where no such cluster is configured: a word after "on" that names no node, object
        # or namespace is a cluster the user expects to exist, so the answer can say it does not.
        # Only where the word ends the phrase: in "on idle nodes" it describes what follows.
        scan.sub(re.compile(rf"{START}on\s+(?:the\s+)?(?P<v>{NAME}){END}(?=\s*(?P<next>\S*))"),
                 lambda m: _take(scan, "cluster", m.group("v"), MASK_CLUSTER)
                 if _names_nothing_here(m.group("v"), context)
                 and not _nearer(m.group("v"), context.namespaces, context.clusters)
                 and (not m.group("next") or m.group("next") in STOPWORDS or m.group("next") in MASKS) else None)


def _near(value: str, known: tuple[str, ...]) -> bool:
    return any(osa_distance(value, k, 2) <= 2 for k in known)


def _distance(value: str, known: tuple[str, ...]) -> int:
    return min((osa_distance(value, k, 2) for k in known), default=3)


def _nearer(value: str, these: tuple[str, ...], than: tuple[str, ...]) -> bool:
    """Whether `value` reads as a typo of one of `these` rather than of one of `than`."""
    return _distance(value, these) < min(3, _distance(value, than))


def _names_nothing_here(value: str, context: NluContext) -> bool:
    """A word that is no common word and names no namespace, node or object this cluster has."""
    return not (is_plain_word(value) or value in NOT_SCOPE_WORDS or value in context.namespaces
                or value in context.by_base() or _looks_like_node(value, context))


def _cluster_value(scan: Scan, context: NluContext, value: str) -> str | None:
    if scan.has("cluster") or is_plain_word(value):
        return None
    # With known clusters, "cluster support" is not a cluster called "support"; "cluster prdo" still is one,
    # so the answer can ask "did you mean prod?".
    if context.clusters and value not in context.clusters and not _near(value, context.clusters):
        return None
    if not context.clusters and (_looks_like_node(value, context) or value in context.by_base()):
        return None
    if context.clusters and value not in context.clusters and value in context.names_of(ResourceKind.NODE):
        return None
    return _take(scan, "cluster", value, MASK_CLUSTER)


def _namespaces(scan: Scan, context: NluContext) -> None:
    if scan.sub(_ALL_NAMESPACES, lambda _m: MASK_NAMESPACE):
        scan.set("all_namespaces", True)
    scan.sub(_NAMESPACE_FLAG, lambda m: _take(scan, "namespace", m.group("v"), MASK_NAMESPACE))
    scan.sub(_NAMESPACE_GLUED, lambda m: _take(scan, "namespace", m.group("v"), MASK_NAMESPACE))
    any_name = rf"(?P<v>{NAME})"
    patterns = [
        rf"{START}(?:in|from|for|of|within|inside|under)?\s*(?:the\s+)?{any_name}\s+(?:namespace|ns){END}",
        rf"{START}(?:namespace|ns)(?:\s+(?:called|named))?(?:\s+|/|=|:\s*){any_name}{END}",
    ]
    for pattern in patterns:
        scan.sub(re.compile(pattern), lambda m: _namespace_value(scan, m.group("v"), explicit=True, context=context))
    known = "|".join(re.escape(n) for n in sorted(context.namespaces, key=len, reverse=True))
    if known:
        scan.sub(re.compile(rf"{START}(?:in|from|within|inside|for|of|at|about)\s+(?:the\s+)?(?P<v>{known}){END}"),
                 lambda m: _namespace_value(scan, m.group("v"), explicit=False, context=context))
    scan.sub(re.compile(rf"{START}(?:in|within|inside)\s+(?P<v>{NAME}){END}"),
             lambda m: _namespace_value(scan, m.group("v"), explicit=False, guessed=True, context=context))
    if known and not scan.has("namespace") and not scan.has("all_namespaces"):
        # "shop pods", "how much does payments cost": a known namespace that is no common word and names nothing else.
        def bare(match: re.Match[str]) -> str | None:
            value = match.group("v")
            if _names_an_object(value, context) or is_plain_word(value):
                return None
            return _namespace_value(scan, value, explicit=False, context=context)

        scan.sub(re.compile(rf"{START}(?P<v>{known}){END}"), bare, count=1)


def _namespace_value(scan: Scan, value: str, explicit: bool, guessed: bool = False,
                     context: NluContext | None = None) -> str | None:
    known = context is not None and value in context.namespaces
    if scan.has("namespace") or is_filler(value) or (is_plain_word(value) and not known):
        return None
    if guessed and context is not None:
        if not known and not _names_nothing_here(value, context):
            return None
        if not known and context.clusters and _nearer(value, context.clusters, context.namespaces):
            # "pods in prdo": a typo of a cluster, so the answer can ask "did you mean prod?".
            return _take(scan, "cluster", value, MASK_CLUSTER)
    if not explicit and scan.has("all_namespaces"):
        return None
    return _take(scan, "namespace", value, MASK_NAMESPACE)


def _names_an_object(value: str, context: NluContext) -> bool:
    return any(kind is not ResourceKind.NAMESPACE for kind, _ in context.by_base().get(value, []))


def _looks_like_node(value: str, context: NluContext) -> bool:
    if value in context.names_of(ResourceKind.NODE):
        return True
    # "from worker" where a deployment is called worker: the object, not a node named like one.
    return not _names_an_object(value, context) and bool(re.match(r"^(?:node|worker|ip-|gke-|aks-)", value))


def _nodes(scan: Scan, context: NluContext) -> None:
    scan.sub(_NODE_FIELD, lambda m: _take(scan, "node", m.group("v"), f"on {MASK_NODE}"))
    scan.sub(re.compile(rf"{START}(?:on|from)\s+(?:the\s+)?(?:node|worker|host|machine)\s+(?P<v>{NAME}){END}"),
             lambda m: _node_value(scan, m.group("v")))
    scan.sub(re.compile(rf"{START}(?:on|from)\s+(?:the\s+)?(?P<v>{NAME})\s+(?:node|worker|host|machine){END}"),
             lambda m: _node_value(scan, m.group("v")))
    scan.sub(re.compile(rf"{START}(?:on|from)\s+(?:the\s+)?(?P<v>{NAME}){END}"),
             lambda m: _node_value(scan, m.group("v")) if _looks_like_node(m.group("v"), context) else None)


def _node_value(scan: Scan, value: str) -> str | None:
    if scan.has("node") or is_plain_word(value):
        return None
    return _take(scan, "node", value, f"on {MASK_NODE}")


def _labels(scan: Scan) -> None:
    scan.sub(_SELECTOR_FLAG, lambda m: _take(scan, "label_selector", m.group("v"), MASK_LABEL))

    def pairs(match: re.Match[str]) -> str | None:
        selector = re.sub(r"\s+", "", match.group("v")).replace("==", "=")
        if selector.startswith("-") or "--" in selector.split("=")[0]:
            return None
        return _take(scan, "label_selector", selector, MASK_LABEL)

    scan.sub(_LABEL_PAIRS, pairs)
    scan.sub(_LABEL_WORDS, lambda m: None if is_plain_word(m.group("k")) else _take(
        scan, "label_selector", f"{m.group('k')}={m.group('v')}", MASK_LABEL))


def _take(scan: Scan, slot: str, value: str, mask: str) -> str | None:
    if scan.has(slot):
        return None
    scan.set(slot, value)
    return mask


_KIND_PATTERN = re.compile(START + r"(?P<k>" + words(*KINDS) + r")" + END)
_KIND_SLASH = re.compile(START + r"(?P<k>" + words(*KINDS) + rf")/(?P<v>{NAME})" + END)


def extract_kinds(scan: Scan) -> list[ResourceKind]:
    """Every kind mentioned, in order; each alias is replaced by the kind's canonical plural."""
    found: list[ResourceKind] = []

    def slashed(match: re.Match[str]) -> str:
        kind = KINDS[match.group("k")]
        found.append(kind)
        return f"{kind.value}/{match.group('v')}"

    def replace(match: re.Match[str]) -> str | None:
        alias = re.sub(r"\s+", " ", match.group("k"))
        kind = KINDS[alias]
        after = scan.text[match.end():].lstrip()
        # "sa", "cm", "ds": a kind only where a kind can stand, not as an abbreviation inside a sentence.
        if alias in AMBIGUOUS_SHORT and after and not after.startswith(("in ", "on ", "-", "xnamespace", "xcluster")) \
                and len(scan.words) > 4:
            return None
        found.append(kind)
        if not (alias.endswith("s") and len(alias) > 3):
            scan.singular_kinds.add(kind.value)
        return kind.value

    scan.sub(_KIND_SLASH, slashed)
    scan.sub(_KIND_PATTERN, replace)
    return found

