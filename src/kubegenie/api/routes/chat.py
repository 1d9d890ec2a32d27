"""POST /api/v1/chat (the Answer, or Server-Sent Events when asked for), POST /api/v1/chat/stream and
GET /api/v1/conversations/{id}. Refused messages (empty, unsafe, unknown namespace, ...) are problems, not 200s."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path, Request
from fastapi.responses import StreamingResponse

from kubegenie import errors
from kubegenie.api import problems, streaming
from kubegenie.api.deps import AssistantDep
from kubegenie.api.schemas import CONVERSATION_ID, ChatRequest, ChatResponse, ConversationView, TurnView

router = APIRouter(prefix="/api/v1", tags=["chat"])
_STREAM_EXAMPLE = ('event: accepted\ndata: {"conversation_id":"5f0c3c1e2b7d4c55a1c2","message_chars":23}\nid: 0\n\n'
                   'event: progress\ndata: {"task_id":"0b6f7c1f","state":"succeeded","intent":"list_resources",'
                   '"agent":"inventory","parent_id":null}\nid: 1\n\n'
                   'event: answer\ndata: {"conversation_id":"5f0c3c1e2b7d4c55a1c2","intent":"list_resources",...}'
                   '\nid: 2\n\n')
_STREAM_CONTENT = {streaming.MEDIA_TYPE: {"schema": {"type": "string"}, "example": _STREAM_EXAMPLE}}
_STREAM_RESPONSE = {"description": "Events `accepted`, `progress` (a task changed state), then `answer` (the "
                                   "Answer) or `error` (a problem document).", "content": _STREAM_CONTENT}


def _stream(assistant: AssistantDep, body: ChatRequest, request: Request) -> StreamingResponse:
    return StreamingResponse(streaming.chat_events(assistant, body, request.url.path), media_type=streaming.MEDIA_TYPE,
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.post("/chat", response_model=ChatResponse,
             responses={200: {"content": _STREAM_CONTENT},
                        **problems.openapi_responses(400, 404, 413, 415, 422, 503, 504)})
async def chat(body: ChatRequest, request: Request, assistant: AssistantDep,
               accept: Annotated[str | None, Header()] = None) -> object:
    """Answer one message. With `Accept: text/event-stream` the answer streams as in /api/v1/chat/stream."""
    if streaming.wants_stream(accept):
        return _stream(assistant, body, request)
    answer = await assistant.ask(body.message, conversation_id=body.conversation_id, cluster=body.cluster,
                                 all_clusters=body.all_clusters)
    refused = problems.refusal(answer)
    if refused is not None:
        raise refused
    return answer


@router.post("/chat/stream", response_class=StreamingResponse,
             responses={200: _STREAM_RESPONSE, **problems.openapi_responses(400, 413, 415, 422)})
async def chat_stream(body: ChatRequest, request: Request, assistant: AssistantDep) -> StreamingResponse:
    """Answer one message as Server-Sent Events, with progress while agents work on it."""
    return _stream(assistant, body, request)


@router.get("/conversations/{conversation_id}", response_model=ConversationView,
            responses=problems.openapi_responses(404, 422))
async def conversation(conversation_id: Annotated[str, Path(pattern=CONVERSATION_ID)],
                       assistant: AssistantDep) -> ConversationView:
    """The turns of one conversation, oldest first."""
    turns = await assistant.history(conversation_id)
    if not turns:
        raise errors.NotFound(f"No conversation '{conversation_id}'.",
                              "Start one with POST /api/v1/chat; its answer carries the conversation_id.")
    return ConversationView(id=conversation_id, turns=[TurnView(**turn) for turn in turns])
