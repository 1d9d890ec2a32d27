"""Waiting on a sped-up sandbox clock: poll a check until it holds, for a span of simulated time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_simulated(what: str, check: Callable[[], T | None], simulated: float, speed: float, *,
                   grace: float, poll: float) -> T:
    """Poll `check` until it returns something truthy, for at most `simulated` seconds of cluster time (plus
    `grace` real seconds for a busy machine)."""
    deadline = time.monotonic() + simulated / speed + grace
    last: T | None = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(poll)
    raise AssertionError(f"timed out after {simulated:.0f} simulated seconds waiting for {what} (last: {last!r})")
