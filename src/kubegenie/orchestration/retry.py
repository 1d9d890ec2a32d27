"""When a failed attempt is tried again, and after how long.

Only read-only work is retried, and only for failures that may pass by themselves: an unreachable cluster,
throttling, a server error. A timeout, a permission problem or a bug is reported at once; trying again would
only make the person wait longer for the same answer.
"""

from __future__ import annotations

import random

from kubegenie.errors import ClusterServerError, ClusterUnreachable, KubeGenieError, RateLimited

TRANSIENT = (ClusterUnreachable, RateLimited, ClusterServerError)


def is_transient(error: BaseException) -> bool:
    return isinstance(error, TRANSIENT)


def should_retry(error: BaseException, *, read_only: bool, attempt: int, max_attempts: int) -> bool:
    return read_only and attempt < max_attempts and isinstance(error, KubeGenieError) and is_transient(error)


def backoff_seconds(attempt: int, *, base: float, cap: float, jitter: float = 0.2) -> float:
    """Delay before attempt `attempt + 1`: base, 2*base, 4*base ... up to cap, spread by +-jitter so that
    tasks failing together do not come back together."""
    delay = min(cap, base * 2.0 ** max(0, attempt - 1))
    return max(0.0, delay * (1 + random.uniform(-jitter, jitter)))
