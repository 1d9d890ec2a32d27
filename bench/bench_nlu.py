"""Understanding figures on the held-out utterances: intent accuracy and macro-F1, slot exact-match, frame
accuracy, per-query latency (p50/p95) of `understand` and of the classifier alone, training time, and the
machine it ran on. Targets: intent accuracy >= 97%, slot exact-match >= 95%.

    .venv/bin/python -m bench.bench_nlu [--errors]
"""

from __future__ import annotations

import statistics
import sys
import time

from bench.common import machine

from kubegenie.nlu.dataset import load_cases, load_context
from kubegenie.nlu.evaluation import judge, summarize
from kubegenie.nlu.model import model_input, trained_classifier, training_seconds
from kubegenie.nlu.reader import read
from kubegenie.nlu.understand import understand


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def main() -> None:
    context = load_context()
    train_seconds = min(training_seconds() for _ in range(3))
    classifier = trained_classifier()
    heldout = load_cases("heldout")
    verdicts = [judge(case, context, classifier) for case in heldout]
    summary = summarize(verdicts)

    texts = [case.text for case in heldout]
    for text in texts:  # warm caches once, as a running service would be
        understand(text, context, classifier)
    full: list[float] = []
    model_only: list[float] = []
    inputs = [model_input(read(text, context)) for text in texts]
    for _ in range(5):
        for text, features in zip(texts, inputs, strict=True):
            t0 = time.perf_counter()
            understand(text, context, classifier)
            t1 = time.perf_counter()
            classifier.rank(features)
            t2 = time.perf_counter()
            full.append((t1 - t0) * 1e6)
            model_only.append((t2 - t1) * 1e6)

    p50, p95 = _percentiles(full)
    m50, m95 = _percentiles(model_only)
    kubectl = [v for v in verdicts if v.case.text.startswith("kubectl")]
    print(f"machine: {machine()}")
    print(f"data: {len(load_cases('train'))} training and {len(heldout)} held-out utterances")
    print(f"training time: {train_seconds * 1000:.0f} ms (best of 3, reading the utterances included)")
    print(f"held-out intent accuracy: {summary.intent_accuracy:.2%}  (target >= 97%)")
    print(f"held-out macro-F1:        {summary.macro_f1:.3f}")
    print(f"held-out slot exact-match: {summary.slot_exact_match:.2%} (target >= 95%; requests whose intent was right)")
    print(f"held-out frame accuracy:   {summary.frame_accuracy:.2%} (intent, outcome and every slot right)")
    print(f"kubectl-style cases: {sum(v.ok for v in kubectl)}/{len(kubectl)} fully right")
    print(f"latency per query, understand(): p50 {p50:.0f} us, p95 {p95:.0f} us")
    print(f"latency per query, classifier only: p50 {m50:.0f} us, p95 {m95:.0f} us")
    worst = sorted(summary.per_intent_f1.items(), key=lambda item: item[1])[:5]
    print("lowest per-intent F1: " + ", ".join(f"{label} {f1:.2f}" for label, f1 in worst))
    if "--errors" in sys.argv:
        for verdict in verdicts:
            if not verdict.ok:
                print(f"  {verdict.case.text!r}: expected {verdict.case.intent}, got {verdict.predicted} "
                      f"(outcome ok={verdict.outcome_ok}, slots ok={verdict.slots_ok})")


if __name__ == "__main__":
    main()
