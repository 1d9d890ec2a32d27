"""Ages are computed in the API server's time, which may be shifted or, in a sped-up sandbox, run faster."""

from __future__ import annotations

import time

import pytest

from kubegenie.kube.client import ServerClock


def test_a_clock_in_step_with_ours_is_ours() -> None:
    clock = ServerClock()
    now = time.time()
    clock.note(now + 0.6, now)  # one-second resolution: not a real difference
    assert clock.now() == pytest.approx(time.time(), abs=0.1)


def test_a_shifted_clock_keeps_its_offset() -> None:
    clock = ServerClock()
    now = time.time()
    clock.note(now + 3600, now)
    assert clock.now() == pytest.approx(time.time() + 3600, abs=0.1)


def test_a_sped_up_clock_is_extrapolated_at_its_rate() -> None:
    clock = ServerClock()
    now = time.time()
    clock.note(now - 60 * 6, now - 60)  # a minute ago the server said this...
    clock.note(now, now)  # ...and now it says this: six times as fast as ours
    assert clock.rate == pytest.approx(6.0)
    later = clock.now()
    assert later == pytest.approx(now + 6 * (time.time() - now), abs=0.2)


def test_a_restarted_server_starts_a_new_estimate() -> None:
    clock = ServerClock()
    now = time.time()
    clock.note(now + 10_000, now - 30)
    clock.note(now, now)  # went back: the earlier samples no longer count
    assert clock.rate == 1.0
