"""Filling a frame from the conversation so far: "it" and "its logs" point at the last object, "the second one"
at the second item listed, "and in staging?" repeats the last question with one thing changed, a bare
"why?" asks to diagnose what was just shown, and the cluster stays the one being talked about.
"""

from __future__ import annotations

import re
from typing import Any

from kubegenie.conversation.state import DialogueState, ItemRef
from kubegenie.domain.intents import Intent, Request
from kubegenie.nlu.frame import Frame, IntentScore, Slots, Source
from kubegenie.nlu.vocabulary import MASKS, STOPWORDS, word_set

_FOLLOW_WORDS = word_set("""and also plus now then what about how same for in on of it its it's that this them those
one ones item first second third fourth fifth sixth seventh eighth ninth tenth last 1st 2nd 3rd 4th 5th
why come wrong happened cause reason ok okay so please too instead there""")


def _content_words(frame: Frame) -> list[str]:
    """Words of the message that ask for something beyond pointing back ("logs" in "and its logs?")."""
    words = re.findall(r"[a-z0-9'-]+", frame.masked)
    return [w for w in words if w not in MASKS and w not in STOPWORDS and w not in _FOLLOW_WORDS
            and not w.startswith("#") and not w.isdigit()]


def slots_of(request: Request) -> dict[str, Any]:
    """A request's values under their slot names (events name their object `involved_*`)."""
    values = request.model_dump(exclude={"intent"})
    if "involved_kind" in values:
        values["kind"] = values.pop("involved_kind")
        values["name"] = values.pop("involved_name")
    if "name_contains" in values:
        values.pop("name_contains")
    return {k: v for k, v in values.items() if k in Slots.model_fields and v is not None}


def _target(frame: Frame, state: DialogueState) -> ItemRef | None:
    cues = frame.cues
    if cues.ordinal is not None and state.last_items:
        index = cues.ordinal - 1 if cues.ordinal > 0 else len(state.last_items) + cues.ordinal
        return state.last_items[index] if 0 <= index < len(state.last_items) else None
    if frame.slots.name is None and (cues.refers_back or cues.why or cues.elliptical):
        return state.object
    return None


def fill(frame: Frame, state: DialogueState) -> tuple[Frame, bool]:
    """The frame completed from `state`, and whether it leaned on the conversation to get there."""
    slots = frame.slots
    updates: dict[str, Any] = {}
    target = _target(frame, state)
    content = _content_words(frame)
    intent: Intent | None = None
    if target is not None:
        updates.update(name=target.name, typed_name=target.name, kind=target.kind, name_candidates=())
        updates["namespace"] = slots.namespace or target.namespace
        updates["cluster"] = slots.cluster or target.cluster
    if frame.cues.why and not content:
        intent = Intent.DIAGNOSE
    elif frame.cues.elliptical and not content and state.last_request is not None:
        intent = state.last_request.intent
        carried = slots_of(state.last_request)
        if state.cluster:
            # The cluster talked about now, which the caller may have switched since the last question.
            carried.pop("cluster", None)
        explicit = slots.model_dump(exclude_defaults=True)
        if target is None:
            carried.update(explicit)
            updates = {**carried, **updates}
        else:
            updates = {**carried, **explicit, **updates}
    elif frame.cues.ordinal is not None and target is not None and not content:
        intent = Intent.DESCRIBE_RESOURCE
    if not slots.cluster and not slots.all_clusters and "cluster" not in updates and state.cluster:
        updates["cluster"] = state.cluster
    leaned = target is not None or intent is not None
    if not updates and intent is None:
        return frame, False
    filled = slots.model_copy(update={k: v for k, v in updates.items() if k in Slots.model_fields})
    changes: dict[str, Any] = {"slots": Slots.model_validate(filled.model_dump())}
    if intent is not None:
        rest = tuple(s for s in frame.ranking if s.intent is not intent)
        changes["ranking"] = (IntentScore(intent=intent, score=1.0), *rest)
        changes["source"] = Source.DIALOGUE
    return frame.model_copy(update=changes), leaned
