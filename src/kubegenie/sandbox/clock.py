"""The sandbox's clock: wall time by default, or simulated time running `speed` times faster.

Every timestamp the sandbox writes comes from here, so a sped-up cluster ages, backs off and
collects metrics history consistently.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime


class Clock:
    """Simulated time = start + (monotonic elapsed) * speed."""

    def __init__(self, speed: float = 1.0, start: datetime | None = None) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.speed = speed
        self._start = (start or datetime.now(UTC)).timestamp()
        self._mono0 = time.monotonic()

    def time(self) -> float:
        """Simulated seconds since the epoch."""
        return self._start + (time.monotonic() - self._mono0) * self.speed

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.time(), UTC)

    def real_seconds(self, simulated_seconds: float) -> float:
        """How long to sleep in real time for `simulated_seconds` to pass."""
        return simulated_seconds / self.speed
