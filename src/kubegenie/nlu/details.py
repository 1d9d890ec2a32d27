"""What a question asks for beyond its scope: status filters, replicas, log options (tail, container, previous,
grep), sort order, limits, output width, warnings only, the security topic, the cost grouping and what to
provision. Each extractor masks what it consumed; the request models keep the slots they have fields for.
"""

from __future__ import annotations

import re

from kubegenie.domain.intents import PodStatusFilter
from kubegenie.nlu.scan import END, NAME, START, Scan, words
from kubegenie.nlu.slots import is_plain_word
from kubegenie.nlu.vocabulary import MASK_NUMBER, MASK_RESOURCE, MASK_TEXT, NUMBER_WORDS, STATUS_PHRASES, STATUS_WORDS

_NUM = r"(?P<n>\d+|" + "|".join(sorted((w for w in NUMBER_WORDS if " " not in w), key=len, reverse=True)) + ")"


def _number(raw: str) -> int:
    return int(raw) if raw.isdigit() else NUMBER_WORDS[raw]


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(START + pattern + END)


def extract_early(scan: Scan) -> None:
    """Patterns that must be read before the scope flags would misread them ("tail -n 50")."""
    scan.sub(_re(rf"tail\s+-n\s*{_NUM}"), lambda m: _put(scan, "tail", _number(m.group("n")), "tail xnum"))
    scan.sub(_REGION, lambda m: _put(scan, "region", m.group("v"), "region"))
    scan.sub(_SIZE, lambda m: _put(scan, "size", re.sub(r"\s+", "", m.group("v")), "size"))
    scan.sub(_re(r"-o\s*(?P<v>yaml|json|name|wide)|--output(?:=|\s+)(?P<w>yaml|json|name|wide)"),
             lambda m: _put(scan, "wide", True, "wide") if "wide" in (m.group("v"), m.group("w")) else "")


_STATUS_PHRASE = _re(r"(?P<v>" + words(*STATUS_PHRASES) + r")")
_STATUS_WORD = _re(r"(?P<v>" + words(*STATUS_WORDS) + r")")
_RUNNING = re.compile(START + r"(?:(?P<a>running|healthy)\s+(?=pods|deployments|statefulsets|jobs)|"
                     r"(?:status|state|phase)"
                     r"\s*(?:=|is|:)?\s*(?P<b>running|completed|pending|failed|succeeded)\b|in\s+(?P<c>running|completed|"
                     r"pending)\s+state\b|(?:that\s+are|which\s+are|are|is|currently)\s+(?P<d>running)"
                     r"(?=\s+(?:in|on|xnamespace|xcluster|right\s+now|now)\b|\s*$))")
_GREP = [
    _re(r"grep\s+(?:-i\s+|-e\s+)?(?:for\s+)?(?P<v>\S+)"),
    _re(r"(?:containing|matching|mentioning|that\s+(?:say|says|contain|contains|mention|mentions|match)|with\s+the\s+"
        r"(?:word|string|text)|lines\s+with|filtered\s+(?:by|for|on)|filter\s+(?:by|for|on)|search(?:ing)?\s+for)"
        r"\s+(?P<v>\S+)"),
]
_ERRORS_ONLY = _re(r"(?:only\s+(?:the\s+)?errors?|errors?\s+only|errors?\s+lines|error\s+logs?|error\s+messages)")
_PREVIOUS = _re(r"(?:--previous|-p|previous(?:\s+(?:container|instance|run|attempt))?|"
                r"prior\s+(?:container|instance|run)"
                r"|before\s+(?:it|the\s+(?:last\s+)?(?:crash|restart))\s*(?:crashed|restarted|died)?"
                r"|(?:the\s+)?(?:last|crashed|dead|terminated)\s+(?:container|instance|run)|that\s+crashed)")


def extract_details(scan: Scan) -> None:
    _logs(scan)
    _numbers(scan)
    _status(scan)
    _ordering(scan)
    _topics(scan)
    _provisioning(scan)


def _logs(scan: Scan) -> None:
    scan.sub(_PREVIOUS, lambda _m: _put(scan, "previous", True, "previous"))
    for pattern in _GREP:
        scan.sub(pattern, lambda m: None if m.group("v") in ("xname", "xnum") else _put(
            scan, "grep", m.group("v"), "grep xtext"))
    scan.sub(_ERRORS_ONLY, lambda _m: _put(scan, "grep", "error", "grep xtext error logs"))
    if re.search(r"\blogs?\b", scan.text):
        scan.sub(_re(r"errors?|exceptions?|panics?|stack\s*traces?"),
                 lambda m: _put(scan, "grep", m.group(0).rstrip("s").replace(" ", ""), "grep xtext error"), count=1)
    scan.sub(_re(rf"(?:-c|--container)(?:=|\s+)(?P<v>{NAME})"), lambda m: _put(scan, "container", m.group("v"), ""))
    scan.sub(_re(rf"(?:(?:in|of|from|for)\s+)?(?:the\s+)?(?:container|sidecar)\s+(?:called\s+|named\s+)?(?P<v>{NAME})"),
             lambda m: None if is_plain_word(m.group("v")) else _put(scan, "container", m.group("v"), ""))
    scan.sub(_re(rf"(?:(?:in|of|from|for)\s+)?(?:the\s+)?(?P<v>{NAME})\s+(?:container|sidecar)"),
             lambda m: None if is_plain_word(m.group("v")) else _put(scan, "container", m.group("v"), ""))
    scan.sub(_re(r"(?:-f|--follow|--timestamps|--all-containers|--since-time\S*)"), lambda _m: "")


def _numbers(scan: Scan) -> None:
    scan.sub(_re(rf"--replicas(?:=|\s+){_NUM}"), lambda m: _put(scan, "replicas", _number(m.group("n")), "replicas"))
    scan.sub(_re(rf"(?:replicas?|replica\s+count|instances)\s*(?:to|=|:|of)?\s*{_NUM}"),
             lambda m: _put(scan, "replicas", _number(m.group("n")), "replicas"))
    scan.sub(_re(rf"(?:to\s+|=\s*)?{_NUM}\s+(?:replicas?|instances|copies|pods)"),
             lambda m: _put(scan, "replicas", _number(m.group("n")), "replicas") if re.search(r"\b(?:re)?scale",
                                                                                          scan.text)
             or "replica" in m.group(0) else None)
    scan.sub(_re(rf"(?:--tail(?:=|\s+)|tail\s+){_NUM}"), lambda m: _put(scan, "tail", _number(m.group("n")), "tail"))
    scan.sub(_re(rf"(?:(?:the\s+)?(?:last|final|latest|recent|first)\s+)?{_NUM}\s+(?:log\s+)?(?:lines?|entries|rows)"),
             lambda m: _put(scan, "tail", _number(m.group("n")), "tail lines"))
    # "the top one", "the first one" point at a listed item; "top 1", "top five" are limits.
    scan.sub(_re(rf"(?:--limit(?:=|\s+)|limit\s+(?:to\s+)?|top\s+(?!one\b)|first\s+(?!one\b)){_NUM}"),
             lambda m: _put(scan, "limit", _number(m.group("n")), "top xnum" if "top" in m.group(0) else "xnum"))
    scan.sub(_re(rf"{_NUM}\s+(?=(?:biggest|heaviest|largest|hungriest|busiest|most|worst)\b)"),
             lambda m: _put(scan, "limit", _number(m.group("n")), "top xnum"))
    if re.search(r"\b(?:re)?scale|\breplicas\b", scan.text):
        scan.sub(_re(rf"(?:to|=)\s*{_NUM}"), lambda m: _put(scan, "replicas", _number(m.group("n")), "to replicas"))


def _status(scan: Scan) -> None:
    def running(match: re.Match[str]) -> str:
        word = next(g for g in match.groups() if g)
        status = STATUS_WORDS.get(word, PodStatusFilter.RUNNING)
        _put(scan, "status", status, "")
        return _status_word(status)

    scan.sub(_RUNNING, running)
    scan.sub(_STATUS_PHRASE, lambda m: _status_value(scan, STATUS_PHRASES[re.sub(r"\s+", " ", m.group("v"))]))
    scan.sub(_STATUS_WORD, lambda m: _status_value(scan, STATUS_WORDS[m.group("v")]) if m.group("v") not in (
        "running", "healthy") else None)


def _status_value(scan: Scan, status: PodStatusFilter) -> str:
    scan.set("status", status)
    return _status_word(status)


def _status_word(status: PodStatusFilter) -> str:
    return status.value.replace("_", "")


def _ordering(scan: Scan) -> None:
    scan.sub(_re(r"--sort-by(?:=|\s+)(?P<v>\S+)"),
             lambda m: _put(scan, "sort_by", "memory" if "mem" in m.group("v") else "cpu", "sorted by"))
    if re.search(r"\b(?:memory|mem|ram|rss|oom)\b", scan.text):
        scan.set("sort_by", "memory")
    elif re.search(r"\b(?:cpu|cpus|processor|cores)\b", scan.text):
        scan.set("sort_by", "cpu")
    scan.sub(_re(r"(?:wide|with\s+(?:the\s+)?(?:nodes?|node\s+names|ips?|ip\s+addresses|more\s+columns))"),
             lambda _m: _put(scan, "wide", True, "wide"))
    warning = re.search(r"(?:--types?=warning|\bwarnings?\b|\bwarn\b|\babnormal\b|\bfailures?\b|\bcomplain\w*)",
                        scan.text)
    if warning or (re.search(r"\bevents?\b", scan.text) and re.search(r"\bfail(?:ing|ed|s)?\b", scan.text)):
        # "failed scheduling events": events about failures are the warning ones.
        scan.set("warnings_only", True)


_TOPICS = (
    ("privileged", r"privileged|privilege|escalation|host\s*(?:network|pid|ipc|paths?|ports?|mounts?)|hostpaths?|"
                   r"capabilit\w*"),
    ("root", r"root|runasnonroot|run\s+as\s+root|as\s+root|uid\s+0"),
    ("rbac", r"rbac|cluster-?admin|roles?|rolebindings?|permissions?|service\s*accounts?|serviceaccounts|who\s+can"),
    ("secrets", r"secrets?|passwords?|credentials?|tokens?|api\s+keys?"),
    ("network", r"network\s*polic\w*|networkpolicies|netpols?|exposed|ingress|open\s+ports?|nodeport"),
    ("images", r"images?|latest\s+tags?|:latest|cves?|vulnerab\w*|registr\w*"),
)


def _topics(scan: Scan) -> None:
    for topic, pattern in _TOPICS:
        if re.search(rf"\b(?:{pattern})\b", scan.text):
            scan.set("topic", topic)
            break
    group = re.search(r"\b(?:by|per|each|grouped\s+by|broken\s+down\s+by|split\s+by|for\s+each)\s+(?:the\s+)?"
                      r"(?P<v>namespaces?|workloads?|deployments?|apps?|applications?|services?|nodes?|teams?|owners?"
                      r"|labels?\s+(?P<l>[a-z0-9./_-]+)|(?P<t>team|owner|tenant|product))\b", scan.text)
    which = re.search(r"\b(?:which|what)\s+(?P<v>deployments|workloads|apps|services|namespaces|nodes)\b", scan.text)
    found = group or which
    if found:
        value = found.group("v")
        if value.startswith("namespace"):
            scan.set("group_by", "namespace")
        elif value.startswith("node"):
            scan.set("group_by", "node")
        elif value.startswith(("label", "team", "owner", "tenant", "product")):
            scan.set("group_by", "label")
            scan.set("label", found.groupdict().get("l") or value.rstrip("s"))
        else:
            scan.set("group_by", "workload")


_RESOURCES = [
    (r"postgres(?:ql)?(?:\s+(?:database|db|instance))?|pg\s+(?:database|db)|psql\s+db", "postgres database"),
    (r"mysql(?:\s+(?:database|db|instance))?|mariadb(?:\s+(?:database|db))?|aurora(?:\s+(?:database|db))?",
     "mysql database"),
    (r"redis(?:\s+(?:cache|instance|cluster))?|memcached|elasticache|memorystore", "redis cache"),
    (r"(?:s3|gcs|storage|object\s+storage|blob)\s+(?:bucket|container)|buckets?", "bucket"),
    (r"(?:message\s+|sqs\s+|work\s+)?queues?|sqs|pub/?sub\s+topic|kafka\s+(?:topic|cluster)", "queue"),
    (r"(?:sql\s+|relational\s+)?(?:database|db)", "database"),
    (r"vpc|virtual\s+network|subnet", "network"),
]
_PROVIDERS = (("aws", r"aws|amazon|rds|s3|sqs|eks|elasticache|aurora"),
              ("gcp", r"gcp|google(?:\s+cloud)?|gcs|cloud\s+sql|pub/?sub|gke|memorystore"),
              ("azure", r"azure|aks|blob"))
_REGION = re.compile(r"\b(?P<v>(?:us|eu|ap|sa|ca|me|af)-(?:east|west|north|south|central|northeast|southeast|"
                     r"northwest|southwest)-\d|(?:us|europe|asia|australia)-(?:east|west|north|south|central|"
                     r"northeast|southeast)\d|eastus2?|westus2?|westeurope|northeurope|uksouth)\b")
_SIZE = re.compile(r"\b(?P<v>tiny|small|medium|large|xlarge|huge|\d+\s?(?:gb|gib|gi|tb|tib|ti)|"
                   r"db\.[a-z0-9]+\.[a-z0-9]+)\b"
                   r"(?=\s+(?:postgres|postgresql|pg|mysql|mariadb|redis|database|db|bucket|queue|cache|instance|disk|"
                   r"volume|sql|aurora)\b|\s*$)")


_PROVISION_CUE = re.compile(r"\b(?:provision|provison|create|spin\s+up|set\s+up|stand\s+up|give\s+me|need|new|"
                            r"order|request|get\s+me)\b")


def _provisioning(scan: Scan) -> None:
    if not _PROVISION_CUE.search(scan.text):
        scan.values.pop("size", None)
        scan.values.pop("region", None)
        return
    for provider, pattern in _PROVIDERS:
        if re.search(rf"\b(?:{pattern})\b", scan.text):
            scan.set("provider", provider)
            break
    for pattern, resource in _RESOURCES:
        if re.search(rf"\b(?:{pattern})\b", scan.text):
            scan.set("resource", resource)
            scan.sub(_re(rf"(?:{pattern})"), lambda _m: MASK_RESOURCE, count=1)
            break
    if not scan.has("resource"):
        scan.values.pop("size", None)


def _put(scan: Scan, slot: str, value: object, mask: str) -> str | None:
    if scan.has(slot):
        return None
    scan.set(slot, value)
    return mask.replace("xnum", MASK_NUMBER).replace("xtext", MASK_TEXT)
