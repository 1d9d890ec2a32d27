"""Measuring understanding on labelled cases: per-case verdicts (intent, outcome, slots) and the summary figures
the benchmark prints (accuracy, macro-F1, slot exact-match). Used by tests and `bench/bench_nlu.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from kubegenie.nlu.classifier import IntentClassifier
from kubegenie.nlu.context import NluContext
from kubegenie.nlu.dataset import UNKNOWN, Case, expected_request
from kubegenie.nlu.result import Clarification, Understanding, Understood
from kubegenie.nlu.understand import understand


@dataclass(frozen=True)
class Verdict:
    case: Case
    result: Understanding
    predicted: str
    """The intent acted on or asked about, or "unknown"."""
    intent_ok: bool
    outcome_ok: bool
    """A question back exactly when one was expected."""
    slots_ok: bool | None
    """Whether the request equals the labelled one (None when no request was expected)."""

    @property
    def ok(self) -> bool:
        return self.intent_ok and self.outcome_ok and self.slots_ok is not False


def predicted_label(result: Understanding) -> str:
    if isinstance(result, Understood):
        return result.intent.value
    return result.intent.value if result.intent is not None else UNKNOWN


def judge(case: Case, context: NluContext, classifier: IntentClassifier | None = None) -> Verdict:
    result = understand(case.text, context, classifier)
    predicted = predicted_label(result)
    expects_question = case.clarify or case.label is None
    outcome_ok = isinstance(result, Clarification) == expects_question
    slots_ok: bool | None = None
    if not expects_question:
        expected = expected_request(case, context)
        slots_ok = isinstance(result, Understood) and result.request == expected
    return Verdict(case, result, predicted, predicted == case.intent, outcome_ok, slots_ok)


@dataclass(frozen=True)
class Summary:
    cases: int
    intent_accuracy: float
    macro_f1: float
    slot_exact_match: float
    """Among cases that expect a request and whose intent was right: the whole request is right."""
    frame_accuracy: float
    """Intent, outcome and every slot right, over all cases."""
    per_intent_f1: dict[str, float]


def summarize(verdicts: Sequence[Verdict]) -> Summary:
    labels = sorted({v.case.intent for v in verdicts} | {v.predicted for v in verdicts})
    f1: dict[str, float] = {}
    for label in labels:
        tp = sum(1 for v in verdicts if v.case.intent == label and v.predicted == label)
        fp = sum(1 for v in verdicts if v.case.intent != label and v.predicted == label)
        fn = sum(1 for v in verdicts if v.case.intent == label and v.predicted != label)
        if tp + fp + fn:
            f1[label] = 2 * tp / (2 * tp + fp + fn)
    slot_cases = [v for v in verdicts if v.slots_ok is not None and v.intent_ok]
    return Summary(
        cases=len(verdicts),
        intent_accuracy=sum(v.intent_ok for v in verdicts) / len(verdicts),
        macro_f1=sum(f1.values()) / len(f1),
        slot_exact_match=sum(bool(v.slots_ok) for v in slot_cases) / max(1, len(slot_cases)),
        frame_accuracy=sum(v.ok for v in verdicts) / len(verdicts),
        per_intent_f1=f1,
    )
