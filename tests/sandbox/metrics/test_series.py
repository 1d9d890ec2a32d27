"""Usage series as pure functions: the CPU counter integrates the usage curve exactly, spikes happen where
the ground truth says, leaks grow to their limit, and the diurnal curve peaks on weekday afternoons."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from kubegenie.sandbox.sim import usage
from kubegenie.sandbox.telemetry import series
from kubegenie.sandbox.telemetry.series import SeriesSpec
from kubegenie.sandbox.telemetry.timeline import leak_starts
from kubegenie.sandbox.telemetry.timespan import format_span, parse_span

MONDAY_2PM = datetime(2026, 11, 23, 14, 0, tzinfo=UTC).timestamp()


def _riemann(spec: SeriesSpec, start: float, end: float, step: float = 5.0) -> float:
    total, t = 0.0, start
    while t < end:
        width = min(step, end - t)
        total += series.smooth_cpu_millicores(spec, t + width / 2) * width / 1000
        t += width
    return total


@pytest.mark.parametrize(("pattern", "base", "cap"), [
    ("steady", 150.0, None), ("steady", 150.0, 100.0), ("diurnal", 300.0, None), ("diurnal", 300.0, 380.0),
    ("diurnal", 300.0, 120.0), ("spiky", 100.0, None), ("spiky", 100.0, 250.0), ("leak", 80.0, None)])
def test_cpu_counter_is_the_integral_of_the_usage_curve(pattern: str, base: float, cap: float | None) -> None:
    spec = SeriesSpec(f"1/ns/pod/{pattern}", pattern, base, 1e8, cap, None)
    start, end = MONDAY_2PM - 2.3 * 86400, MONDAY_2PM + 3.6 * 86400 + 123
    assert series.cpu_seconds(spec, start, end) == pytest.approx(_riemann(spec, start, end), rel=1e-6)
    assert series.cpu_seconds(spec, start, start) == 0.0


def test_spike_windows_are_where_the_usage_spikes() -> None:
    spec = SeriesSpec("7/shop/fraud-0/detector", "spiky", 100.0, 1e8, None, None)
    start = MONDAY_2PM
    windows = series.spike_windows(spec.key, start, start + 86400)
    assert 5 < len(windows) < 30  # 15% of 96 quarter-hours, give or take
    for begin, end in windows:
        assert end - begin == usage.SPIKE_SECONDS
        assert usage.in_spike(spec.key, begin + 1) and usage.in_spike(spec.key, end - 1)
        assert not usage.in_spike(spec.key, end + 1)
        assert series.smooth_cpu_millicores(spec, begin + 10) == pytest.approx(100.0 * usage.SPIKE_FACTOR)
    spiking = sum(end - begin for begin, end in windows)
    assert series.spike_seconds(spec.key, start, start + 86400) == pytest.approx(spiking)


def test_a_leak_grows_until_its_limit_kills_it() -> None:
    spec = SeriesSpec("1/shop/cart-0/cart", "leak", 50.0, 200 * 2**20, None, 512 * 2**20)
    delay = spec.oom_delay
    assert delay is not None
    assert delay == pytest.approx(usage.LEAK_GROWTH_SECONDS * (512 / 200 - 1))
    started = MONDAY_2PM
    early = series.memory_bytes(spec, started + 600, started)
    late = series.memory_bytes(spec, started + delay - 600, started)
    assert early < 0.25 * late + 200 * 2**20
    assert late > 0.95 * 512 * 2**20
    assert series.memory_bytes(spec, started + delay + 3600, started) <= 512 * 2**20
    starts = leak_starts(started, delay, started + 3 * delay)
    assert len(starts) == 3 and all(b - a >= delay for a, b in itertools.pairwise(starts))


def test_the_weekday_afternoon_peak() -> None:
    spec = SeriesSpec("1/shop/web-0/web", "diurnal", 200.0, 1e8, None, None)
    peak = series.smooth_cpu_millicores(spec, MONDAY_2PM)
    night = series.smooth_cpu_millicores(spec, MONDAY_2PM + 12 * 3600)
    saturday = series.smooth_cpu_millicores(spec, MONDAY_2PM + 5 * 86400)
    assert peak == pytest.approx(200.0 * 1.5)
    assert night == pytest.approx(200.0 * 0.5)
    assert saturday == pytest.approx(peak * usage.WEEKEND_FACTOR)


def test_durations() -> None:
    assert parse_span("7d") == 7 * 86400
    assert parse_span("1h30m") == 5400
    assert parse_span("90") == 90
    assert format_span(604800) == "7d" and format_span(5400) == "90m"
    for bad in ("", "7 days", "-3", "1x"):
        with pytest.raises(ValueError):
            parse_span(bad)
