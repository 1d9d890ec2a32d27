"""GET /api/v1/tasks (?state=, ?limit=), GET /api/v1/tasks/{id} and POST /api/v1/tasks/{id}/cancel."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from kubegenie.api import problems
from kubegenie.api.deps import AssistantDep
from kubegenie.api.schemas import TASK_ID, TaskView
from kubegenie.orchestration.task import TaskState

router = APIRouter(prefix="/api/v1/tasks", tags=["tasks"])
TaskId = Annotated[str, Path(pattern=TASK_ID, description="The task id, as answers and listings show it.")]


@router.get("", response_model=list[TaskView], responses=problems.openapi_responses(422))
async def list_tasks(assistant: AssistantDep,
                     state: Annotated[list[TaskState] | None, Query(description="Only tasks in these states.")] = None,
                     limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> list[TaskView]:
    """Recent tasks, newest first."""
    return [TaskView.of(task) for task in await assistant.tasks(state or None, limit)]


@router.get("/{task_id}", response_model=TaskView, responses=problems.openapi_responses(404, 422))
async def show_task(task_id: TaskId, assistant: AssistantDep) -> TaskView:
    """One task with its result, or the reason it has none."""
    return TaskView.of(await assistant.task(task_id), with_result=True)


@router.post("/{task_id}/cancel", response_model=TaskView, responses=problems.openapi_responses(404, 422))
async def cancel_task(task_id: TaskId, assistant: AssistantDep) -> TaskView:
    """Cancel a queued or running task; a finished task stays as it is."""
    return TaskView.of(await assistant.cancel(task_id))
