"""Timers in simulated time: run a callback when the cluster clock reaches an instant, sleeping
`clock.real_seconds(...)` so a sped-up clock fires sooner. Every timer is cancelled when the simulation stops.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from kubegenie.sandbox.clock import Clock


class Timers:
    """One-shot timers on the running event loop, keyed by simulated time."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._handles: set[asyncio.TimerHandle] = set()
        self.stopped = False

    def at(self, when: float, callback: Callable[..., Any], *args: Any) -> asyncio.TimerHandle | None:
        """Call `callback(*args)` when simulated time reaches `when` (seconds since the epoch)."""
        return self.after(when - self.clock.time(), callback, *args)

    def after(self, delay: float, callback: Callable[..., Any], *args: Any) -> asyncio.TimerHandle | None:
        """Call `callback(*args)` after `delay` simulated seconds."""
        if self.stopped:
            return None
        loop = asyncio.get_running_loop()
        handle: asyncio.TimerHandle

        def fire() -> None:
            self._handles.discard(handle)
            if not self.stopped:
                callback(*args)

        handle = loop.call_later(max(0.0, self.clock.real_seconds(delay)), fire)
        self._handles.add(handle)
        return handle

    def cancel(self, handle: asyncio.TimerHandle | None) -> None:
        if handle is not None:
            handle.cancel()
            self._handles.discard(handle)

    def stop(self) -> None:
        self.stopped = True
        for handle in self._handles:
            handle.cancel()
        self._handles.clear()

    @property
    def pending(self) -> int:
        return len(self._handles)
