"""Which object a message is about: explicit names ("pod web-1", "deploy/web", "the checkout pod", "called
api"), bare names the cache knows, and the cues that point back into the conversation ("it", "the second
one", "and in staging?", "why?") or ask for a change ("restart", "scale", "drain").
"""

from __future__ import annotations

import re

from kubegenie.domain.intents import Intent, ResourceKind
from kubegenie.nlu.context import NluContext
from kubegenie.nlu.frame import Cues
from kubegenie.nlu.matching import NameMatch, resolve
from kubegenie.nlu.scan import END, NAME, START, Scan
from kubegenie.nlu.slots import is_filler, is_plain_word
from kubegenie.nlu.vocabulary import MASK_NAME, word_set

_KIND_VALUES = "|".join(sorted((k.value for k in ResourceKind), key=len, reverse=True))
_EXPLICIT = [
    re.compile(rf"{START}(?:called|named|name)\s+(?P<v>{NAME}){END}"),
    re.compile(rf"{START}(?P<k>{_KIND_VALUES})/(?P<v>{NAME}){END}"),
    re.compile(rf"{START}(?P<k>{_KIND_VALUES})\s+(?P<v>{NAME}){END}"),
    re.compile(rf"{START}(?P<v>{NAME})\s+(?P<k>{_KIND_VALUES}){END}"),
    re.compile(rf"{START}(?P<v>{NAME})'s{END}"),
]
# Words after which a bare unknown token is taken as the object's name ("restart web", "logs of api").
_NAME_TAKERS = word_set("""describe restart bounce recycle redeploy scale drain cordon uncordon logs log tail get
explain diagnose debug troubleshoot inspect investigate about of for from called named evacuate""")
_ANY_TOKEN = re.compile(rf"{START}(?P<v>{NAME}){END}")


def extract_name(scan: Scan, kinds: list[ResourceKind], context: NluContext) -> NameMatch | None:
    """The object the message names, resolved against the context; masks it."""
    # Every explicit mention competes; a name the cache knows beats one it does not ("the checkout service
    # returns 503s": checkout, not returns).
    best: tuple[int, int, re.Match[str], NameMatch] | None = None
    for order, pattern in enumerate(_EXPLICIT):
        for match in pattern.finditer(scan.text):
            value = match.group("v")
            if not _could_name(value, context):
                continue
            kind_text = match.groupdict().get("k")
            kind = ResourceKind(kind_text) if kind_text else (kinds[0] if kinds else None)
            found = resolve(value, kind, context)
            rank = 0 if found.known or found.candidates else 1
            before = scan.text[:match.start()].split()[-1:]
            singular = order == 2 and kind_text in scan.singular_kinds and bool(before) and before[0] in _NAME_TAKERS
            if rank and order > 1 and context.names and not re.search(r"[-\d.]", value) and not singular:
                # "enumerate configmaps": with a cache to go by, an unknown plain word is no name, unless it
                # follows a kind said in the singular ("service web": one object, called web).
                continue
            if best is None or (rank, order) < best[:2]:
                best = (rank, order, match, found)
    if best is not None:
        _, _, match, found = best
        kind_text = match.groupdict().get("k")
        value = match.group("v")
        replacement = _mask(value)
        scan.text = scan.text[:match.start()] + (f" {kind_text} {replacement} " if kind_text else f" {replacement} ") \
            + scan.text[match.end():]
        scan.text = " " + " ".join(scan.text.split()) + " "
        return found
    return _bare_name(scan, kinds, context)


def _could_name(value: str, context: NluContext) -> bool:
    """Ordinary words are names only when the cache knows an object called that ("api", "web")."""
    return not is_filler(value) and (not is_plain_word(value) or value in context.by_base())


def _mask(value: str) -> str:
    # A name that is also an ordinary word stays visible, so the classifier reads "api resources" the same
    # whether or not some cluster happens to run a deployment called "api".
    return value if is_plain_word(value) else MASK_NAME


def _bare_name(scan: Scan, kinds: list[ResourceKind], context: NluContext) -> NameMatch | None:
    tokens = scan.words
    kind = kinds[0] if kinds else None
    chosen: NameMatch | None = None
    chosen_token = ""
    for index, token in enumerate(tokens):
        if not _ANY_TOKEN.fullmatch(token) or not _could_name(token, context):
            continue
        match = resolve(token, kind, context)
        if kind is not None and not (match.known or match.candidates):
            # "events about node-2": the kind said is not the kind of the object named.
            anywhere = resolve(token, None, context)
            match = anywhere if anywhere.known or anywhere.candidates else match
        after_taker = index > 0 and tokens[index - 1] in _NAME_TAKERS
        if match.known or match.candidates or after_taker or re.search(r"[-\d.]", token):
            chosen, chosen_token = match, token
            break
    if chosen is None:
        return None
    scan.sub(re.compile(rf"{START}{re.escape(chosen_token)}{END}"), lambda _m: _mask(chosen_token), count=1)
    return chosen


_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4, "fifth": 5,
             "5th": 5, "sixth": 6, "6th": 6, "seventh": 7, "7th": 7, "eighth": 8, "8th": 8, "ninth": 9, "9th": 9,
             "tenth": 10, "10th": 10, "last": -1}
# "top" points at an item only as "the top one": "top pods by memory" is the top command, never the first pod.
_ORDINAL = re.compile(r"\b(?:the\s+)?(?P<o>" + "|".join(_ORDINALS) + r")\s+(?:one|pod|item|entry|row|result|"
                      + _KIND_VALUES + r"|deployment|node|service|job)\b|(?:#|number\s+|no\.?\s*)(?P<n>\d{1,3})\b"
                      r"|^(?:the\s+)?(?P<b>" + "|".join(_ORDINALS) + r")$"
                      r"|\b(?P<t>top)\s+(?:one|item|entry|row|result)\b|^the\s+(?P<u>top)$")
_PRONOUN = re.compile(r"\b(?:it|its|it's|itself|them|those|these|they|their|theirs|that\s+one|this\s+one|"
                      r"that(?=\s+(?:pod|deployment|node|service|job|thing|workload)|$)|this(?=\s+(?:pod|deployment|"
                      r"node|service|job|thing|workload)|$)|the\s+same(?:\s+one)?)\b")
_ELLIPSIS = re.compile(r"^(?:and|also|plus|now|ok\s+now|okay\s+now|then|what\s+about|how\s+about|and\s+what\s+about"
                       r"|and\s+how\s+about|same\s+(?:for|in|on|thing\s+(?:for|in|on))|what\s+of|and\s+for|"
                       r"ditto\s+for)\b")
_WHY = re.compile(r"^(?:why|how\s+come|what\s+happened|what's\s+wrong|whats\s+wrong|what\s+is\s+wrong|"
                  r"what\s+went\s+wrong|what's\s+the\s+(?:cause|reason|problem)|root\s+cause)\b")
_MUTATIONS: tuple[tuple[Intent, re.Pattern[str]], ...] = (
    (Intent.UNCORDON, re.compile(r"\b(?:uncordon|un-cordon|(?:mark|make|set)\s+\S+\s+(?:as\s+)?schedulable|"
                                 r"schedulable\s+again|allow\s+scheduling|back\s+(?:in|into)\s+(?:rotation|service|"
                                 r"scheduling))\b")),
    (Intent.CORDON, re.compile(r"\b(?:cordon|(?:mark|make|set)\s+\S+\s+(?:as\s+)?unschedulable|"
                               r"stop\s+scheduling|prevent\s+scheduling|out\s+of\s+(?:rotation|scheduling))\b")),
    (Intent.DRAIN, re.compile(r"\b(?:drain|draining|evacuate|empty\s+out|evict\s+(?:everything|all(?:\s+(?:the\s+)?"
                              r"pods)?|every\s+pod)\s+(?:from|off|on))\b")),
    (Intent.SCALE, re.compile(r"\b(?:scale|rescale|bump|set\s+(?:the\s+)?replicas|"
                              r"change\s+(?:the\s+)?replicas|replicas\s+to|(?:increase|decrease|raise|lower|reduce)"
                              r"\s+(?:the\s+)?(?:\S+\s+)?(?:replicas|replica\s+count|instances))\b")),
    (Intent.RESTART, re.compile(r"\b(?:restart|bounce|recycle|redeploy|reboot|rolling\s+restart)\b"
                                r"(?!\s*(?:count|loop|policy|times)\b)")),
    (Intent.PROVISION, re.compile(r"\b(?:provision|create|spin\s+up|set\s+up|stand\s+up|give\s+me\s+an?|"
                                  r"i\s+need\s+an?|we\s+need\s+an?|new)\b")),
)


def extract_cues(text: str, has_name: bool) -> Cues:
    """Dialogue cues of the normalized `text`; pronouns only count when no object was named."""
    ordinal_match = _ORDINAL.search(text)
    ordinal: int | None = None
    if ordinal_match:
        raw = ordinal_match.group("o") or ordinal_match.group("b")
        top = ordinal_match.group("t") or ordinal_match.group("u")
        ordinal = 1 if top else _ORDINALS[raw] if raw else int(ordinal_match.group("n"))
    mutating = next((intent for intent, pattern in _MUTATIONS if pattern.search(text)), None)
    return Cues(
        refers_back=not has_name and bool(_PRONOUN.search(text)),
        ordinal=ordinal if ordinal else None,
        elliptical=bool(_ELLIPSIS.match(text)),
        why=bool(_WHY.match(text)) and len(text.split()) <= 6,
        mutating_verb=mutating,
    )
