"""Every conversation case of the demo scenario, asked through `Assistant.ask` against a running demo sandbox:
each answer carries the intent or clarification its turn expects and every fact the scenario declares."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from kubegenie.assistant import Assistant
from kubegenie.conversation.cases import ConversationCase, load_conversations, run_case
from kubegenie.domain.answer import Answer
from kubegenie.sandbox.runtime import SandboxThread
from kubegenie.settings import KubeSettings, Settings
from tests.conversation.demo import start_demo, wait_settled

CASES = load_conversations("demo")


@pytest.fixture(scope="module")
def demo_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SandboxThread, Path]]:
    directory = tmp_path_factory.mktemp("demo-conversations")
    thread = start_demo(directory)
    try:
        wait_settled(thread)
        yield thread, directory
    finally:
        thread.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def assistant(demo_sandbox: tuple[SandboxThread, Path]) -> AsyncIterator[Assistant]:
    _, directory = demo_sandbox
    settings = Settings(data_dir=directory / "data", kube=KubeSettings(kubeconfig=[directory / "kubeconfig"]))
    helper = Assistant(settings)
    try:
        yield helper
    finally:
        await helper.close()


def test_there_are_enough_cases_covering_every_area() -> None:
    assert len(CASES) >= 60
    assert sum(len(case.turns) > 1 for case in CASES) >= 8
    assert {case.covers for case in CASES} >= {
        "overview", "list", "count", "describe", "logs", "top", "nodes", "events", "api", "clusters", "help",
        "follow-up", "kubectl", "typo", "bad-input", "not-installed"}
    assert len({case.name for case in CASES}) == len(CASES)


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
async def test_conversation_case(case: ConversationCase, assistant: Assistant) -> None:
    async def ask(text: str, conversation_id: str, cluster: str | None) -> Answer:
        return await assistant.ask(text, conversation_id=conversation_id, cluster=cluster)

    result = await run_case(case, ask, uuid.uuid4().hex)
    assert result.problems == ()
