"""Standard cron schedules as the CronJob controller parses them (robfig/cron v3 ParseStandard): five fields
with ranges, steps, lists and month/weekday names, `?`, descriptors (@hourly, @daily, @every 1h30m, ...),
an optional `TZ=`/`CRON_TZ=` prefix, and the parser's own error texts for the UnparseableSchedule event.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MONTHS = {name: index + 1 for index, name in enumerate(
    ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"))}
WEEKDAYS = {name: index for index, name in enumerate(("sun", "mon", "tue", "wed", "thu", "fri", "sat"))}
_BOUNDS = ((0, 59, None), (0, 23, None), (1, 31, None), (1, 12, MONTHS), (0, 6, WEEKDAYS))
_DESCRIPTORS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
                "@weekly": "0 0 * * 0", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}
_GO_DURATION = re.compile(r"^([0-9]*\.?[0-9]+)(ns|us|µs|ms|s|m|h)")
_UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


class CronError(ValueError):
    """The schedule does not parse; str() is the parser's message."""


@dataclass(frozen=True)
class Schedule:
    minutes: frozenset[int] = frozenset()
    hours: frozenset[int] = frozenset()
    days: frozenset[int] = frozenset()
    months: frozenset[int] = frozenset()
    weekdays: frozenset[int] = frozenset()
    day_star: bool = True
    weekday_star: bool = True
    every: float | None = None
    zone: tzinfo | None = None

    def next_after(self, moment: datetime) -> datetime:
        """The first activation strictly after `moment` (an aware datetime)."""
        if self.every is not None:
            step = max(1.0, float(int(self.every)))
            return moment.replace(microsecond=0) + timedelta(seconds=step)
        zone = self.zone or moment.tzinfo
        local = moment.astimezone(zone).replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = local + timedelta(days=366 * 5)
        while local < limit:
            if local.month not in self.months:
                local = (local.replace(day=1, hour=0, minute=0) + timedelta(days=32)).replace(day=1)
                continue
            if not self._day_matches(local):
                local = local.replace(hour=0, minute=0) + timedelta(days=1)
                continue
            if local.hour not in self.hours:
                local = local.replace(minute=0) + timedelta(hours=1)
                continue
            if local.minute not in self.minutes:
                local += timedelta(minutes=1)
                continue
            return local.astimezone(moment.tzinfo)
        raise CronError("no activation within five years")

    def _day_matches(self, moment: datetime) -> bool:
        day_ok = moment.day in self.days
        weekday_ok = (moment.isoweekday() % 7) in self.weekdays
        if self.day_star or self.weekday_star:
            return day_ok and weekday_ok
        return day_ok or weekday_ok


def _atoi(text: str) -> int:
    if not re.fullmatch(r"[+-]?[0-9]+", text):
        raise CronError(f'failed to parse int from {text}: strconv.Atoi: parsing "{text}": invalid syntax')
    value = int(text)
    if value < 0:
        raise CronError(f"negative number ({value}) not allowed: {text}")
    return value


def _value(text: str, names: dict[str, int] | None) -> int:
    if names is not None and text.lower() in names:
        return names[text.lower()]
    return _atoi(text)


def _field(text: str, low: int, high: int, names: dict[str, int] | None) -> tuple[frozenset[int], bool]:
    values: set[int] = set()
    star = False
    for expr in (part for part in text.split(",") if part):
        range_and_step = expr.split("/")
        low_and_high = range_and_step[0].split("-")
        single = len(low_and_high) == 1
        expr_star = False
        if low_and_high[0] in ("*", "?"):
            start, end, expr_star = low, high, True
        else:
            start = _value(low_and_high[0], names)
            if len(low_and_high) == 1:
                end = start
            elif len(low_and_high) == 2:
                end = _value(low_and_high[1], names)
            else:
                raise CronError(f"too many hyphens: {expr}")
        if len(range_and_step) == 1:
            step = 1
        elif len(range_and_step) == 2:
            step = _atoi(range_and_step[1])
            if single:
                end = high
            if step > 1:
                expr_star = False
        else:
            raise CronError(f"too many slashes: {expr}")
        if start < low:
            raise CronError(f"beginning of range ({start}) below minimum ({low}): {expr}")
        if end > high:
            raise CronError(f"end of range ({end}) above maximum ({high}): {expr}")
        if start > end:
            raise CronError(f"beginning of range ({start}) beyond end of range ({end}): {expr}")
        if step == 0:
            raise CronError(f"step of range should be a positive number: {expr}")
        values.update(range(start, end + 1, step))
        star = star or expr_star
    return frozenset(values), star


def _duration(text: str) -> float:
    """Go's time.ParseDuration for the @every descriptor."""
    rest, total = text, 0.0
    if not rest:
        raise CronError(f'time: invalid duration "{text}"')
    while rest:
        match = _GO_DURATION.match(rest)
        if match is None:
            raise CronError(f'time: invalid duration "{text}"')
        total += float(match.group(1)) * _UNITS[match.group(2)]
        rest = rest[match.end():]
    return total


def parse_standard(spec: str) -> Schedule:
    """Parse a CronJob schedule; raises CronError with robfig/cron's message."""
    if not spec:
        raise CronError("empty spec string")
    zone: tzinfo | None = None
    if spec.startswith(("TZ=", "CRON_TZ=")):
        head, _, spec = spec.partition(" ")
        name = head.partition("=")[2]
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise CronError(f"provided bad location {name}: unknown time zone {name}") from exc
        spec = spec.strip()
    if spec.startswith("@"):
        if spec.startswith("@every "):
            try:
                seconds = _duration(spec[len("@every "):])
            except CronError as exc:
                raise CronError(f"failed to parse duration {spec}: {exc}") from exc
            return Schedule(every=seconds, zone=zone)
        if spec not in _DESCRIPTORS:
            raise CronError(f"unrecognized descriptor: {spec}")
        spec = _DESCRIPTORS[spec]
    fields = spec.split()
    if len(fields) != 5:
        raise CronError(f"expected exactly 5 fields, found {len(fields)}: [{' '.join(fields)}]")
    parsed = [_field(text, low, high, names) for text, (low, high, names) in zip(fields, _BOUNDS, strict=True)]
    return Schedule(parsed[0][0], parsed[1][0], parsed[2][0], parsed[3][0], parsed[4][0], parsed[2][1],
                    parsed[4][1], zone=zone)
