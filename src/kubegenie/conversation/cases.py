"""Conversation cases: questions asked in order on a named scenario, each with the facts its answer must contain
(pod names, counts, statuses) or must not, the intent it must be answered as, or the clarification it must get.
Loading the shipped cases and judging one answer against its turn; asking is the caller's (tests, bench).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml
from pydantic import BaseModel, ConfigDict, Field

from kubegenie.domain.answer import Answer


class CaseTurn(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    ask: str
    cluster: str | None = None
    """The cluster picked in the UI's selector (or --context) for this message, if any."""
    intent: str | None = None
    """The intent the answer must carry; "none" when the answer must be a question back."""
    clarification: str | None = None
    """The ClarificationReason value the answer must carry."""
    facts: tuple[str, ...] = ()
    """Text the answer must contain (its text, tables or suggestions), case-insensitively."""
    absent: tuple[str, ...] = ()
    """Text the answer must not contain."""


class ConversationCase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    covers: str
    """What the case is about (overview, lists, follow-ups, typos, bad input, not installed, ...)."""
    turns: tuple[CaseTurn, ...] = Field(min_length=1)


@lru_cache(maxsize=4)
def load_conversations(scenario: str = "demo") -> tuple[ConversationCase, ...]:
    text = resources.files("kubegenie.conversation").joinpath("data", f"{scenario}_cases.yaml").read_text("utf-8")
    return tuple(ConversationCase.model_validate(raw) for raw in yaml.safe_load(text))


def answer_text(answer: Answer) -> str:
    """Everything a person sees of an answer, as one searchable text."""
    parts = [answer.text, *answer.suggestions]
    for table in answer.tables:
        parts.append(table.title)
        parts.extend(" | ".join(str(cell) for cell in row) for row in table.rows)
    return "\n".join(parts)


def problems_of(answer: Answer, turn: CaseTurn) -> list[str]:
    """What is wrong with `answer` as a reply to `turn`; empty when it is right."""
    problems: list[str] = []
    shown = answer_text(answer).lower()
    if turn.intent is not None and (answer.intent or "none") != turn.intent:
        problems.append(f"intent {answer.intent!r}, expected {turn.intent!r}")
    if turn.clarification is not None and answer.clarification != turn.clarification:
        problems.append(f"clarification {answer.clarification!r}, expected {turn.clarification!r}")
    problems += [f"missing {fact!r}" for fact in turn.facts if fact.lower() not in shown]
    problems += [f"unexpected {text!r}" for text in turn.absent if text.lower() in shown]
    return problems


Ask = Callable[[str, str, str | None], Awaitable[Answer]]
"""(text, conversation id, cluster or None) -> the Answer."""


@dataclass(frozen=True)
class CaseResult:
    case: ConversationCase
    problems: tuple[str, ...]
    """"turn N (question): problem", for every turn that went wrong."""

    @property
    def passed(self) -> bool:
        return not self.problems


async def run_case(case: ConversationCase, ask: Ask, conversation_id: str) -> CaseResult:
    """Ask every turn of `case` in one conversation and judge each answer."""
    problems: list[str] = []
    for index, turn in enumerate(case.turns, 1):
        answer = await ask(turn.ask, conversation_id, turn.cluster)
        problems += [f"turn {index} ({turn.ask[:60]!r}): {p}" for p in problems_of(answer, turn)]
    return CaseResult(case, tuple(problems))


def pass_rate(results: Sequence[CaseResult]) -> float:
    return sum(r.passed for r in results) / max(1, len(results))
