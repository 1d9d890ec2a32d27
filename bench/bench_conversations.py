"""Conversation cases on the demo scenario: every case of `kubegenie.conversation.cases` asked through
`Assistant.ask` against a running demo sandbox (prod and staging, seed 3, settled), with the pass rate
(target 100%), the failures, and the server-side latency of the answers (p50/p95).

    .venv/bin/python -m bench.bench_conversations
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from pathlib import Path

from bench.common import machine, percentile
from tests.conversation.demo import start_demo, wait_settled

from kubegenie.assistant import Assistant
from kubegenie.conversation.cases import load_conversations, pass_rate, run_case
from kubegenie.domain.answer import Answer
from kubegenie.settings import KubeSettings, Settings


async def _run(directory: Path) -> None:
    settings = Settings(data_dir=directory / "data", kube=KubeSettings(kubeconfig=[directory / "kubeconfig"]))
    assistant = Assistant(settings)
    took: list[float] = []

    async def ask(text: str, conversation_id: str, cluster: str | None) -> Answer:
        answer = await assistant.ask(text, conversation_id=conversation_id, cluster=cluster)
        took.append(answer.took_ms)
        return answer

    try:
        await ask("cluster overview", "warm-up", None)  # the caches' first sync is not an answer's latency
        took.clear()
        cases = load_conversations("demo")
        results = [await run_case(case, ask, uuid.uuid4().hex) for case in cases]
    finally:
        await assistant.close()
    turns = sum(len(case.turns) for case in cases)
    print(f"machine: {machine()}")
    print(f"conversation cases (demo scenario): {sum(r.passed for r in results)}/{len(results)} passed "
          f"({pass_rate(results):.1%}, target 100%), {turns} turns")
    print(f"answer latency (Assistant.ask, server side): p50 {percentile(took, 50):.1f} ms, "
          f"p95 {percentile(took, 95):.1f} ms")
    for result in results:
        for problem in result.problems:
            print(f"  FAIL {result.case.name}: {problem}")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        started = time.perf_counter()
        thread = start_demo(directory)
        try:
            wait_settled(thread)
            print(f"demo scenario settled in {time.perf_counter() - started:.1f} s")
            asyncio.run(_run(directory))
        finally:
            thread.stop()


if __name__ == "__main__":
    main()
