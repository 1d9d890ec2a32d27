"""The chat as Server-Sent Events: `accepted` at once, `progress` whenever a task of the conversation changes
state, then `answer` (the Answer) or `error` (a problem document). Once the stream has started its status is
200, so errors travel as events; the problem handler is reused so they read the same as a 4xx would.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import orjson
from fastapi.sse import format_sse_event
from pydantic import BaseModel

from kubegenie import errors
from kubegenie.api import problems
from kubegenie.api.schemas import AcceptedEvent, ChatRequest, ProgressEvent
from kubegenie.assistant import Assistant
from kubegenie.orchestration.task import Task, TaskState

log = logging.getLogger(__name__)
MEDIA_TYPE = "text/event-stream"
POLL_SECONDS = 0.1
"""How often the task store is read for state changes while an answer is being worked on."""
KEEPALIVE_SECONDS = 15.0
_ACTIVE = [TaskState.QUEUED, TaskState.RUNNING]


def wants_stream(accept: str | None) -> bool:
    return bool(accept) and MEDIA_TYPE in (accept or "")


def event(name: str, data: BaseModel | dict[str, Any], index: int) -> bytes:
    payload = data.model_dump(mode="json") if isinstance(data, BaseModel) else data
    return format_sse_event(event=name, data_str=orjson.dumps(payload).decode(), id=str(index))


def _progress(task: Task) -> ProgressEvent:
    return ProgressEvent(task_id=task.id, state=task.state.value, intent=task.intent, agent=task.agent,
                         parent_id=task.parent_id)


async def chat_events(assistant: Assistant, body: ChatRequest, instance: str) -> AsyncIterator[bytes]:
    conversation_id = body.conversation_id or uuid.uuid4().hex
    since = datetime.now(UTC)
    index = 0
    yield event("accepted", AcceptedEvent(conversation_id=conversation_id, message_chars=len(body.message)), index)
    ask = asyncio.ensure_future(assistant.ask(body.message, conversation_id=conversation_id, cluster=body.cluster,
                                              all_clusters=body.all_clusters))
    seen: dict[str, TaskState] = {}
    last_sent = time.monotonic()
    try:
        while not ask.done():
            await asyncio.wait({ask}, timeout=POLL_SECONDS)
            # Only active tasks are read while waiting: they carry no result, so polling stays cheap.
            for task in await assistant.tasks(_ACTIVE, limit=200):
                if task.conversation_id == conversation_id and task.created_at >= since \
                        and seen.get(task.id) != task.state:
                    seen[task.id] = task.state
                    index += 1
                    last_sent = time.monotonic()
                    yield event("progress", _progress(task), index)
            if time.monotonic() - last_sent > KEEPALIVE_SECONDS:
                last_sent = time.monotonic()
                yield format_sse_event(comment="keep-alive")
        answer = ask.result()
    except errors.KubeGenieError as exc:
        yield event("error", problems.of_error(exc, instance), index + 1)
        return
    except Exception as exc:
        # The stream's equivalent of the 500 handler: logged with its traceback, reported without one.
        log.error("unhandled error while streaming %s", instance, exc_info=exc)
        yield event("error", problems.internal_error(instance), index + 1)
        return
    finally:
        if not ask.done():
            ask.cancel()
    last_state = seen.get(answer.task_id or "")
    if answer.task_id is not None and (last_state is None or not last_state.final):
        index += 1
        yield event("progress", _progress(await assistant.task(answer.task_id)), index)
    refused = problems.refusal(answer)
    if refused is not None:
        yield event("error", problems.of_refusal(refused, instance), index + 1)
        return
    yield event("answer", answer, index + 1)
