"""The help agent: what KubeGenie can answer, agent by agent, with example questions; capabilities whose
agent is not installed are said plainly."""

from __future__ import annotations

from kubegenie.agents.base import AgentContext, AgentResult
from kubegenie.agents.registry import AgentRegistry
from kubegenie.domain.answer import Table
from kubegenie.domain.examples import EXAMPLES
from kubegenie.domain.intents import HelpRequest, Intent, Request


class HelpAgent:
    name = "help"
    description = "Explains what KubeGenie can answer, with example questions."
    intents = frozenset({Intent.HELP})

    async def handle(self, request: Request, ctx: AgentContext) -> AgentResult:
        registry = ctx.service(AgentRegistry)
        topic = request.topic.lower() if isinstance(request, HelpRequest) and request.topic else None
        rows = []
        for info in registry.overview():
            if info.name == self.name:
                continue
            examples = [e for intent in info.intents for e in EXAMPLES.get(intent, ())][:3]
            if topic and topic not in (info.name + info.description + " ".join(examples)).lower():
                continue
            rows.append([info.name, info.description, "; ".join(f'"{e}"' for e in examples)])
        missing = sorted(intent.value for intent in registry.unserved())
        text = ("Ask about your clusters in plain English (or kubectl style). Add \"on <cluster>\" or "
                "\"across all clusters\", and \"in <namespace>\", to any question.")
        if missing:
            text += f"\n\nNot installed yet: {', '.join(m.replace('_', ' ') for m in missing)}."
        return AgentResult(text=text, tables=[Table(title="What you can ask", columns=["Agent", "Answers", "Try"],
                                                    rows=rows)])
