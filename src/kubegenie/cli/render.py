"""Rendering an Answer in a terminal: markdown prose, rich tables, findings with remediation, proposed
actions and suggested follow-ups. Pure presentation; no decisions."""

from __future__ import annotations

from rich.console import Console
from rich.markdown import Markdown
from rich.table import Table

from kubegenie.domain.answer import Answer, Severity

_SEVERITY_STYLE = {Severity.CRITICAL: "bold red", Severity.HIGH: "red", Severity.MEDIUM: "yellow",
                   Severity.LOW: "cyan", Severity.INFO: "dim"}
MAX_ROWS = 100


def render(console: Console, answer: Answer) -> None:
    console.print(Markdown(answer.text))
    for table in answer.tables:
        view = Table(title=table.title, box=None, pad_edge=False, title_justify="left", title_style="bold")
        for column in table.columns:
            view.add_column(column.upper(), overflow="fold")
        for row in table.rows[:MAX_ROWS]:
            view.add_row(*("" if cell is None else str(cell) for cell in row))
        console.print()
        console.print(view)
        if len(table.rows) > MAX_ROWS:
            console.print(f"[dim]... {len(table.rows) - MAX_ROWS} more rows (use --json for all)[/]")
    if answer.findings:
        console.print()
        for finding in sorted(answer.findings, key=lambda f: -f.severity.rank):
            style = _SEVERITY_STYLE[finding.severity]
            where = f" [{finding.resource}]" if finding.resource else ""
            console.print(f"[{style}]{finding.severity.value.upper()}[/]{where} {finding.message}", highlight=False)
            if finding.remediation:
                console.print(f"  [green]Fix:[/] {finding.remediation}", highlight=False)
    for action in answer.actions:
        console.print(f"[bold]Proposed:[/] {action.description}", highlight=False)
        if action.dry_run_diff:
            console.print(action.dry_run_diff, highlight=False, markup=False)
    if answer.suggestions:
        console.print()
        for index, suggestion in enumerate(answer.suggestions, 1):
            console.print(f"  [cyan]{index}.[/] {suggestion}", highlight=False)
