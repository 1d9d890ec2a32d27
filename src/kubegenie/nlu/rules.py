"""Deterministic corrections applied on top of the model's ranking, for cases where the words settle the
intent outright (a bare "help", events asked for as a list, a question that names what the cluster has).
Each rule is narrow and explains itself.
"""

from __future__ import annotations

import re

from kubegenie.domain.intents import Intent, ResourceKind
from kubegenie.nlu.context import NluContext
from kubegenie.nlu.frame import Frame, IntentScore, Source

_HELP = re.compile(r"^(?:help|h|usage|commands|menu|\?+|what can you do|what can i ask|how does this work)$")
_RULE_SCORE = 0.99
_UNSUPPORTED_ACTION = re.compile(r"\b(?:delete|remove|destroy|wipe|erase|kill|exec|ssh|shell|apply|edit|patch|"
                                 r"port-forward|rollback|roll\s+back|uninstall|install|upgrade|rm)\b")


def _promote(frame: Frame, intent: Intent) -> Frame:
    rest = tuple(s for s in frame.ranking if s.intent is not intent)
    best = max(_RULE_SCORE, frame.confidence)
    return frame.model_copy(update={"ranking": (IntentScore(intent=intent, score=best), *rest), "source": Source.RULE})


def names_the_cluster(frame: Frame, context: NluContext) -> bool:
    """Whether the message names a kind of object, or a namespace, cluster, node or object the cluster has."""
    slots = frame.slots
    known_name = slots.name is not None and (slots.name in context.by_base() or bool(slots.name_candidates))
    return bool(slots.kind or slots.node or slots.label_selector or slots.status or slots.all_namespaces
                or slots.all_clusters or known_name or slots.namespace in context.namespaces
                or slots.cluster in context.clusters)


def _in_scope(frame: Frame) -> Frame:
    """The ranking without the out-of-scope class, its probability spread over the intents."""
    unknown = next(s.score for s in frame.ranking if s.intent is None)
    rest = tuple(IntentScore(intent=s.intent, score=s.score / max(1e-9, 1.0 - unknown))
                 for s in frame.ranking if s.intent is not None)
    return frame.model_copy(update={"ranking": (*rest, IntentScore(intent=None, score=0.0))})


def apply_rules(frame: Frame, context: NluContext) -> Frame:
    if _HELP.match(frame.text):
        return _promote(frame, Intent.HELP)
    # A question about something the cluster has is in scope, however oddly worded ("workloads in payments"):
    # the model's out-of-scope class is for messages that name nothing KubeGenie knows, and for actions it has not.
    if frame.intent is None and frame.ranking and names_the_cluster(frame, context) \
            and not _UNSUPPORTED_ACTION.search(frame.text):
        frame = _in_scope(frame)
    # Events have an intent of their own with their own filters; a listing of them is that intent.
    if frame.intent in (Intent.LIST_RESOURCES, Intent.GET_RESOURCE) and frame.slots.kind is ResourceKind.EVENT:
        return _promote(frame, Intent.LIST_EVENTS)
    return frame
