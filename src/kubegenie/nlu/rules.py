"""Deterministic corrections applied on top of the model's ranking, for cases where the words settle the
intent outright (a bare "help", events asked for as a list). Each rule is narrow and explains itself.
"""

from __future__ import annotations

import re

from kubegenie.domain.intents import Intent, ResourceKind
from kubegenie.nlu.frame import Frame, IntentScore, Source

_HELP = re.compile(r"^(?:help|h|usage|commands|menu|\?+|what can you do|what can i ask|how does this work)$")
_RULE_SCORE = 0.99


def _promote(frame: Frame, intent: Intent) -> Frame:
    rest = tuple(s for s in frame.ranking if s.intent is not intent)
    best = max(_RULE_SCORE, frame.confidence)
    return frame.model_copy(update={"ranking": (IntentScore(intent=intent, score=best), *rest), "source": Source.RULE})


def apply_rules(frame: Frame) -> Frame:
    if _HELP.match(frame.text):
        return _promote(frame, Intent.HELP)
    # Events have an intent of their own with their own filters; a listing of them is that intent.
    if frame.intent in (Intent.LIST_RESOURCES, Intent.GET_RESOURCE) and frame.slots.kind is ResourceKind.EVENT:
        return _promote(frame, Intent.LIST_EVENTS)
    return frame
