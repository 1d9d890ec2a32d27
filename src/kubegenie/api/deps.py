"""Typed dependencies of the routes: the one Assistant of the app, taken from the app state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from kubegenie.assistant import Assistant


def get_assistant(request: Request) -> Assistant:
    assistant = request.app.state.assistant
    assert isinstance(assistant, Assistant)
    return assistant


AssistantDep = Annotated[Assistant, Depends(get_assistant)]
