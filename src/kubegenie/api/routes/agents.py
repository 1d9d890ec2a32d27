"""GET /api/v1/agents: the registered agents with their live figures."""

from __future__ import annotations

from fastapi import APIRouter

from kubegenie.api.deps import AssistantDep
from kubegenie.api.schemas import AgentView

router = APIRouter(prefix="/api/v1/agents", tags=["agents"])


@router.get("", response_model=list[AgentView])
async def list_agents(assistant: AssistantDep) -> list[AgentView]:
    """Every agent: what it answers, whether it is busy, and its queued, active, done and failed tasks."""
    return [AgentView.of(info) for info in await assistant.agents()]
