"""`kubegenie tasks list|show|cancel`: the tasks agents worked on or are working on, read from the task store
(so tasks of every process and worker show up), and cancelling one from outside the process running it."""

from __future__ import annotations

import typer
from rich.markdown import Markdown
from rich.table import Table

from kubegenie.cli.common import EXIT_UNANSWERED, console, print_json
from kubegenie.cli.taskstore import age, duration, load_settings, opened_store
from kubegenie.orchestration.task import Task
from kubegenie.store.records import TaskState

app = typer.Typer(help="Tasks handed to agents: list, inspect and cancel them.", no_args_is_help=True)
STATE_STYLE = {
    TaskState.QUEUED: "yellow", TaskState.RUNNING: "cyan", TaskState.SUCCEEDED: "green", TaskState.FAILED: "red",
    TaskState.TIMED_OUT: "red", TaskState.CANCELLED: "dim",
}
SHORT_ID = 12
AS_JSON = typer.Option(False, "--json", help="Print JSON.")
TASK_ID = typer.Argument(..., help="Task id, or its first characters (at least 4).")


@app.command("list")
def list_tasks(
    state: list[TaskState] = typer.Option([], "--state", "-s", help="Only tasks in this state (repeatable)."),
    agent: str = typer.Option(None, "--agent", help="Only tasks of this agent."),
    limit: int = typer.Option(50, "--limit", min=1, max=10_000, help="At most this many, newest first."),
    as_json: bool = AS_JSON,
) -> None:
    """Recent tasks, newest first."""
    settings = load_settings()
    with opened_store(settings) as store:
        tasks = [Task.of(record) for record in store.tasks.find(states=state, agent=agent, limit=limit)]
    if as_json:
        print_json(tasks)
        return
    if not tasks:
        wanted = f" in state {', '.join(s.value for s in state)}" if state else ""
        console.print(f"No tasks{wanted}.", highlight=False)
        return
    table = Table(box=None, pad_edge=False)
    for column in ("ID", "STATE", "INTENT", "AGENT", "PRIORITY", "AGE", "DURATION", "TRIES", "OUTCOME"):
        table.add_column(column, no_wrap=column != "OUTCOME")
    for task in tasks:
        table.add_row(task.id[:SHORT_ID], _state(task), task.intent, task.agent or "(fan-out)",
                      task.priority.name.lower(), age(task.created_at), duration(task.duration_seconds),
                      str(task.attempts), _outcome(task))
    console.print(table)


@app.command("show")
def show_task(task_id: str = TASK_ID, as_json: bool = AS_JSON) -> None:
    """One task in detail: its request, lifecycle, parts, and its result or why it has none."""
    settings = load_settings()
    with opened_store(settings) as store:
        task = Task.of(store.tasks.get(store.tasks.resolve(task_id)))
        parts = [Task.of(record) for record in store.tasks.children(task.id)] if task.agent is None else []
    if as_json:
        print_json(task)
        return
    console.print(f"[bold]Task {task.id}[/]  {_state(task)}", highlight=False)
    rows = [
        ("Intent", task.intent), ("Agent", task.agent or "(fan-out)"), ("Cluster", task.cluster or "(default)"),
        ("Priority", task.priority.name.lower()), ("Backend", task.backend), ("Worker", task.worker or "-"),
        ("Attempts", f"{task.attempts} of {task.max_attempts}"), ("Timeout", f"{task.timeout_seconds:g}s"),
        ("Created", task.created_at.isoformat(timespec="seconds")),
        ("Started", task.started_at.isoformat(timespec="seconds") if task.started_at else "-"),
        ("Finished", task.finished_at.isoformat(timespec="seconds") if task.finished_at else "-"),
        ("Duration", duration(task.duration_seconds)),
        ("Requested by", task.requested_by or "-"), ("Conversation", task.conversation_id or "-"),
    ]
    details = Table(box=None, pad_edge=False, show_header=False)
    details.add_column(style="bold")
    details.add_column()
    for name, value in rows:
        details.add_row(name, value)
    console.print(details)
    if task.cancel_requested and not task.final:
        console.print("[yellow]Cancellation asked; the worker running it will stop it shortly.[/]")
    if parts:
        console.print("[bold]Parts[/]")
        table = Table("ID", "STATE", "INTENT", "AGENT", "DURATION", box=None, pad_edge=False)
        for part in parts:
            table.add_row(part.id[:SHORT_ID], _state(part), part.intent, part.agent or "-",
                          duration(part.duration_seconds))
        console.print(table)
    if task.error is not None:
        console.print(f"[red]{task.error.code}:[/] {task.error.message}", highlight=False)
        if task.error.remediation:
            console.print(f"[yellow]What to do:[/] {task.error.remediation}", highlight=False)
    if task.result is not None:
        console.print(f"[bold]Result[/] ({task.result.status.value})")
        if task.result.text:
            console.print(Markdown(task.result.text))
        if task.result.findings:
            findings = Table("SEVERITY", "RESOURCE", "FINDING", "REMEDIATION", box=None, pad_edge=False)
            for finding in task.result.findings:
                findings.add_row(finding.severity.value, str(finding.resource or "-"), finding.message,
                                 finding.remediation or "-")
            console.print(findings)
        for result_table in task.result.tables:
            shown = Table(*result_table.columns, title=result_table.title, box=None, pad_edge=False)
            for row in result_table.rows:
                shown.add_row(*(str(cell) for cell in row))
            console.print(shown)


@app.command("cancel")
def cancel_task(task_id: str = TASK_ID, as_json: bool = AS_JSON) -> None:
    """Cancel a queued task, or ask the worker running a task to stop it."""
    settings = load_settings()
    with opened_store(settings) as store:
        before = store.tasks.get(store.tasks.resolve(task_id))
        task = Task.of(store.tasks.request_cancel(before.id))
    if as_json:
        print_json(task)
    elif before.state.final:
        console.print(f"Task {task.id[:SHORT_ID]} already {before.state.value.replace('_', ' ')}; nothing to cancel.",
                      highlight=False)
    elif task.state is TaskState.CANCELLED:
        console.print(f"Cancelled task {task.id[:SHORT_ID]} before it started.", highlight=False)
    else:
        console.print(f"Asked {task.worker or 'its worker'} to stop task {task.id[:SHORT_ID]}; it will show as "
                      f"cancelled in a moment (`kubegenie tasks show {task.id[:SHORT_ID]}`).", highlight=False)
    if before.state.final:
        raise typer.Exit(EXIT_UNANSWERED)


def _state(task: Task) -> str:
    return f"[{STATE_STYLE[task.state]}]{task.state.value}[/]"


def _outcome(task: Task) -> str:
    if task.error is not None:
        return f"{task.error.code}: {task.error.message}"
    if task.result is not None:
        return task.result.status.value
    if task.cancel_requested and not task.final:
        return "cancelling"
    return ""
