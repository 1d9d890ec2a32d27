"""What every command shares: building the Assistant from settings, crossing into async once, JSON output,
and the one place where errors become a message, a remediation and an exit code (DESIGN.md section 3)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import orjson
import typer
from pydantic import BaseModel
from rich.console import Console

from kubegenie import errors
from kubegenie.assistant import Assistant
from kubegenie.settings import Settings, get_settings

T = TypeVar("T")
EXIT_OK, EXIT_UNANSWERED, EXIT_USAGE, EXIT_CLUSTER = 0, 1, 2, 3

# Piped output is not squeezed into 80 columns: scripts and logs get whole lines, as kubectl prints them.
console = Console(width=None if sys.stdout.isatty() else 200)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


def settings_with(kubeconfig: list[Path] | None) -> Settings:
    settings = get_settings()
    if kubeconfig:
        settings = settings.model_copy(update={"kube": settings.kube.model_copy(update={"kubeconfig": kubeconfig})})
    return settings


def exit_code(error: errors.KubeGenieError) -> int:
    if isinstance(error, errors.ClusterUnreachable | errors.PermissionDenied | errors.AuthenticationFailed):
        return EXIT_CLUSTER
    if isinstance(error, errors.InvalidInput | errors.ConfigError):
        return EXIT_USAGE
    return EXIT_UNANSWERED


def fail(error: errors.KubeGenieError) -> NoReturn:
    err_console.print(f"[bold red]Error:[/] {error.message}", highlight=False)
    if error.remediation:
        err_console.print(f"[yellow]What to do:[/] {error.remediation}", highlight=False)
    raise typer.Exit(exit_code(error))


def with_assistant(settings: Settings, work: Callable[[Assistant], Awaitable[T]]) -> T:
    """Build one Assistant, run `work` on it in one event loop, close it, and turn errors into exits."""

    async def run() -> T:
        assistant = Assistant(settings)
        try:
            return await work(assistant)
        finally:
            await assistant.close()

    try:
        return asyncio.run(run())
    except errors.KubeGenieError as exc:
        fail(exc)


def print_json(data: BaseModel | list[Any] | dict[str, Any]) -> None:
    if isinstance(data, BaseModel):
        payload: Any = data.model_dump(mode="json")
    elif isinstance(data, list):
        payload = [item.model_dump(mode="json") if isinstance(item, BaseModel) else item for item in data]
    else:
        payload = data
    sys.stdout.write(orjson.dumps(payload, option=orjson.OPT_INDENT_2).decode() + "\n")
