"""What the runtime commands (`agents`, `tasks`, `worker`) share: settings read once with bad values reported
as a usage error, the task store opened and closed around one command, and durations written for people."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime

import typer
from pydantic import ValidationError

from kubegenie import errors
from kubegenie.cli.common import EXIT_USAGE, err_console, fail
from kubegenie.settings import Settings, get_settings
from kubegenie.store.store import Store


def load_settings() -> Settings:
    try:
        return get_settings()
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        where = "__".join(str(part).upper() for part in first["loc"])
        err_console.print(f"[bold red]Error:[/] setting KUBEGENIE_{where} is not valid: {first['msg']}",
                          highlight=False)
        raise typer.Exit(EXIT_USAGE) from exc


@contextlib.contextmanager
def opened_store(settings: Settings) -> Iterator[Store]:
    """The store, with its errors (unreachable database, bad URL, unknown task) turned into exits."""
    try:
        store = Store.open(settings.database_url())
    except errors.KubeGenieError as exc:
        fail(exc)
    try:
        yield store
    except errors.KubeGenieError as exc:
        fail(exc)
    finally:
        store.close()


def age(when: datetime | None, now: datetime | None = None) -> str:
    """kubectl-style age: 45s, 12m, 3h, 2d."""
    if when is None:
        return "-"
    seconds = max(0, int(((now or datetime.now(UTC)) - when).total_seconds()))
    for unit, size in (("d", 86_400), ("h", 3_600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if seconds < 1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 120:
        return f"{seconds:.1f}s"
    return f"{seconds / 60:.1f}m"
