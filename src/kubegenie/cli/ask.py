"""`kubegenie ask` (one question) and `kubegenie chat` (a conversation in the terminal)."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import typer

from kubegenie import errors
from kubegenie.assistant import Assistant
from kubegenie.cli.common import EXIT_UNANSWERED, console, err_console, exit_code, print_json, settings_with
from kubegenie.cli.render import render
from kubegenie.domain.answer import Answer

KUBECONFIG = typer.Option(None, "--kubeconfig", help="Kubeconfig file(s) to read instead of KUBECONFIG.")
CONTEXT = typer.Option(None, "--context", help="Cluster (kubeconfig context) to ask about.")
ALL = typer.Option(False, "--all-contexts", help="Ask every cluster of the kubeconfig.")


def ask(question: str = typer.Argument(..., help="The question, in plain English or kubectl style."),
        context: str | None = CONTEXT, all_contexts: bool = ALL, kubeconfig: list[Path] = KUBECONFIG,
        conversation: str | None = typer.Option(None, "--conversation", help="Continue this conversation id."),
        as_json: bool = typer.Option(False, "--json", help="Print the Answer object as JSON.")) -> None:
    """Answer one question and exit (0 answered, 1 not answered, 2 usage, 3 cluster unreachable or denied)."""
    if context and all_contexts:
        err_console.print("Error: use --context or --all-contexts, not both.")
        raise typer.Exit(2)

    async def run() -> Answer:
        assistant = Assistant(settings_with(kubeconfig))
        try:
            with console.status("Thinking...", spinner="dots") if not as_json else contextlib.nullcontext():
                return await assistant.ask(question, conversation_id=conversation, cluster=context,
                                           all_clusters=all_contexts)
        finally:
            await assistant.close()

    try:
        answer = asyncio.run(run())
    except errors.KubeGenieError as exc:
        if as_json:
            print_json({"error": exc.to_dict()})
        else:
            err_console.print(f"[bold red]Error:[/] {exc.message}", highlight=False)
            err_console.print(f"[yellow]What to do:[/] {exc.remediation}", highlight=False)
        raise typer.Exit(exit_code(exc)) from exc
    if as_json:
        print_json(answer)
    else:
        render(console, answer)
    if answer.intent is None:
        raise typer.Exit(EXIT_UNANSWERED)


def chat(context: str | None = CONTEXT, kubeconfig: list[Path] = KUBECONFIG) -> None:
    """Talk to your clusters; follow-ups ("and in staging?", "show its logs") remember the conversation."""
    asyncio.run(_chat(Assistant(settings_with(kubeconfig)), context))


async def _chat(assistant: Assistant, context: str | None) -> None:
    loop = asyncio.get_running_loop()
    conversation: str | None = None
    console.print("[bold]KubeGenie[/] - ask about your clusters; `help` lists what I can do, `exit` quits.")
    try:
        while True:
            try:
                text = await loop.run_in_executor(None, input, "\nkubegenie> ")
            except (EOFError, KeyboardInterrupt):
                break
            if text.strip().lower() in ("exit", "quit", ":q"):
                break
            if not text.strip():
                continue
            try:
                with console.status("Thinking...", spinner="dots"):
                    answer = await assistant.ask(text, conversation_id=conversation, cluster=context)
            except errors.KubeGenieError as exc:
                err_console.print(f"[bold red]Error:[/] {exc.message}\n[yellow]What to do:[/] {exc.remediation}",
                                  highlight=False)
                continue
            conversation = answer.conversation_id
            render(console, answer)
    finally:
        await assistant.close()

