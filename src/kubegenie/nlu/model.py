"""The default intent model: fitted once per process from the shipped training utterances, read the same way
queries are read (slots masked), so the model learns the shape of questions rather than the names in them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence

from kubegenie.nlu.classifier import IntentClassifier
from kubegenie.nlu.concepts import concept_tags
from kubegenie.nlu.context import NluContext
from kubegenie.nlu.dataset import Case, load_cases, load_context
from kubegenie.nlu.frame import Frame
from kubegenie.nlu.reader import read


def model_input(frame: Frame) -> str:
    """What the classifier reads: the masked text plus the concept tags of the whole message."""
    slots = frame.slots
    found = [tag for tag, present in (
        ("zkind", slots.kind is not None), ("zname", slots.name is not None), ("zstatus", slots.status is not None),
        ("zscope", bool(slots.namespace or slots.cluster or slots.all_namespaces or slots.all_clusters)),
        ("znode", slots.node is not None), ("zwindow", slots.window is not None)) if present]
    if frame.cues.mutating_verb is not None:
        found.append(f"zdo{frame.cues.mutating_verb.value}")
    return f"{frame.masked} {concept_tags(frame.text)} {' '.join(found)}".strip()


def masked_texts(cases: Sequence[Case], context: NluContext) -> list[str]:
    return [model_input(read(case.text, context)) for case in cases]


def fit(cases: Sequence[Case], context: NluContext) -> IntentClassifier:
    """A classifier trained on `cases` (kubectl-style cases included: they teach the model the verbs too)."""
    return IntentClassifier.fit(masked_texts(cases, context), [case.intent for case in cases])


_trained: IntentClassifier | None = None
_training = threading.Lock()


def model_is_trained() -> bool:
    return _trained is not None


def trained_classifier() -> IntentClassifier:
    """The model every `understand` call uses unless given another; trained once, on first use (callers that
    arrive while it trains wait for that model rather than train another)."""
    global _trained
    if _trained is None:
        with _training:
            if _trained is None:
                _trained = fit(load_cases("train"), load_context())
    return _trained


def training_seconds() -> float:
    """How long fitting the default model takes on this machine (data loading included, imports excluded)."""
    started = time.perf_counter()
    load_cases.cache_clear()
    fit(load_cases("train"), load_context())
    return time.perf_counter() - started
