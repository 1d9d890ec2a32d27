"""Held-out accuracy as behaviour: the model never sees these utterances, and what it does with them is pinned."""

from __future__ import annotations

import pytest

from kubegenie.domain.intents import Intent
from kubegenie.nlu.classifier import IntentClassifier
from kubegenie.nlu.context import NluContext
from kubegenie.nlu.dataset import load_cases
from kubegenie.nlu.evaluation import judge, summarize

MUST_PASS = ["api_resources", "cluster_report", "cost_report", "count_resources", "describe_resource", "diagnose",
             "drain", "get_resource", "help", "list_events", "pod_logs", "restart", "scale", "top",
             "uncordon", "what_changed"]
"""Intents every held-out case of which must come out right: intent, question-or-request, and every slot."""


def test_the_splits_are_disjoint_and_large_enough() -> None:
    train = {case.text.lower() for case in load_cases("train")}
    heldout = [case.text.lower() for case in load_cases("heldout")]
    assert not train & set(heldout)
    assert len(train) + len(heldout) >= 800
    assert {case.intent for case in load_cases("heldout")} >= {i.value for i in Intent}


@pytest.mark.parametrize("intent", MUST_PASS)
def test_every_heldout_case_of_must_pass_intents(intent: str, context: NluContext,
                                                 classifier: IntentClassifier) -> None:
    cases = [case for case in load_cases("heldout") if case.intent == intent]
    failures = [(v.case.text, v.predicted) for v in (judge(c, context, classifier) for c in cases) if not v.ok]
    assert cases and failures == []


def test_heldout_figures_meet_the_targets(context: NluContext, classifier: IntentClassifier) -> None:
    summary = summarize([judge(case, context, classifier) for case in load_cases("heldout")])
    assert summary.intent_accuracy >= 0.97
    assert summary.slot_exact_match >= 0.95
    assert summary.macro_f1 >= 0.95
